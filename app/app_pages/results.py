"""The project's measured comparison (the same tables as docs/results.md and the README), then the student
accuracy of the user's own evaluated runs; evaluations run as background jobs."""

import benchmark_view
import streamlit as st
from common import dataset, finished_runs, job_queue, runs_dir, session_owner, workspace
from progress import evaluation_progress

from prism_core import benchmark as bm
from prism_core.evaluation import EvalConfig, stored_evaluations
from prism_core.teachers import read_manifest
from prism_core.workspaces import EMBEDDED_WORKSPACE

st.title("Results")


@st.cache_data(show_spinner=False)
def measured(stamp: float) -> bm.Cells:
    return bm.load_cells()


cells = measured(bm.SHIPPED.stat().st_mtime if bm.SHIPPED.is_file() else 0.0)
if cells:
    st.subheader("Method and initialisation apart (Fashion-MNIST)")
    st.caption(
        "Every method from noise and from real images with the same optimiser settings per init; students "
        "trained from scratch for 300 epochs with soft labels (the zoo ResNet-18's logits) or hard labels "
        "(true labels alone). Mean ± std over seeds (n). Measured by `python -m prism_core benchmark` (the "
        "Benchmark page runs it on your workspace); the protocol is in docs/results.md. Coverage is the "
        "diversity figure images far from the data cannot win."
    )
    benchmark_view.show(cells, EMBEDDED_WORKSPACE.extractor, "grid")
st.subheader("Your evaluations")
runs = finished_runs()
rows = []
for label, run in runs.items():
    for r in stored_evaluations(run):
        rows.append(
            {
                "run": label,
                "subject": r.subject,
                "student": r.config.student,
                "epochs": r.config.epochs,
                "seeds": r.seeds,
                "top-1 mean": round(r.mean, 2),
                "top-1 std": round(r.std, 2),
            }
        )
ws = workspace()
zoo = read_manifest(ws.zoo_dir).teachers if ws.zoo_dir else {}
if "resnet18" in zoo:
    st.caption(
        f"Full-data reference: ResNet-18 teacher {zoo['resnet18'].test_top1}% on the {dataset().info.name} test split."
    )
if rows:
    st.dataframe(rows, hide_index=True)
else:
    st.info("No evaluations yet: launch one below.")

st.subheader("Evaluate a run")
own = [label for label, run in runs.items() if run.path.parent == runs_dir()]
if not own:
    st.caption("Evaluations are stored in the run, so only your own runs (not the shipped examples) can be evaluated.")
    st.stop()


def protocol_epochs(label: str) -> int:
    return bm.epochs(runs[label].config().ipc)


label = st.selectbox(
    "Run",
    own,
    key="eval_run",
    on_change=lambda: st.session_state.update(eval_epochs=protocol_epochs(st.session_state["eval_run"])),
)
with st.form("evaluate"):
    student = st.selectbox(
        "Student",
        ["resnet18", "convnet", "vit", "regnetx_002", "lcnet_050"],
        key="eval_student",
        help="convnet: the classic dataset-distillation ConvNet (3 conv-instance norm-ReLU-pool "
        "blocks, width 128) and vit (a 6-layer ViT: no convolution, no BN), families "
        "that no method uses as a teacher",
    )
    epochs = st.number_input(
        "Epochs",
        1,
        1000,
        protocol_epochs(label),
        key="eval_epochs",
        help="Defaults to the grid's protocol for the run's IPC (300 epochs at IPC 1-10, 150 at "
        "IPC 50), so your numbers compare with the table above; fewer epochs finish sooner "
        "but let the training budget, not the images, set the score.",
    )
    seeds = st.number_input("Seeds", 1, 5, 1, key="eval_seeds")
    if st.form_submit_button("Evaluate (with the random-real baseline)"):
        cfg = EvalConfig(
            student=student,
            epochs=int(epochs),
            weights=ws.weights,
            teachers=("resnet18",) if "resnet18" in zoo or not ws.zoo_dir else (next(iter(zoo)),),
        )
        try:
            job_queue().submit_evaluation(runs[label].name, cfg, int(seeds), owner=session_owner())
            st.success(f"Queued the evaluation of {label}")
        except Exception as err:
            st.error(f"Cannot evaluate: {err}")


evaluation_progress()
