"""Launch a synthesis run (optionally with its SRe2L baseline) or a selection of real images, and watch it form."""

import streamlit as st
from common import dataset, device_name, job_queue, session_owner, unique_name, workspace
from forms import FIELDS, field_input, field_key
from launch_presets import PRESETS, apply_preset
from progress import synthesis_progress

from prism_core.data import with_size
from prism_core.selection import RULES
from prism_core.synthesis import METHODS, SynthConfig, get_method, resolve
from prism_core.synthesis.config import help_for
from prism_core.synthesis.methods import baseline as baseline_of
from prism_core.synthesis.recipes import fit_to_zoo, with_calibrated
from prism_core.teachers import get_spec
from prism_core.teachers.catalog import teacher_rows
from prism_core.teachers.weights import pretrained_hint
from prism_core.teachers.weights import without_weights as _without_weights

st.title("Launch a synthesis run")
st.caption(
    "Or a selection: herding, k-center, easy, difficulty and RDED pick real training images in seconds, the "
    "baselines a distilled set has to beat."
)
ws = workspace()
info = dataset().info
has_images = ws.has_images  # noise init only where there are no images to start from


def defaults(method: str) -> tuple[SynthConfig, str | None]:
    """The method's recipe as resolved for this dataset, with the workspace's calibrated setting where it has one
    (what the CLI would run), and the line that says so."""
    cfg, note = with_calibrated(SynthConfig(method=method), get_method(method), ws.calibrated)
    return resolve(cfg, get_method(method), info.image_size, info.num_classes), note


without_weights = st.cache_data(ttl=60, show_spinner=False)(_without_weights)


offered = ws.teachers()
if ws.zoo_dir is None:  # pretrained weights: offer the teachers whose weights are here, say how to provide the rest
    missing = without_weights(tuple(offered), tuple(ws.checkpoints))
    offered = [n for n in offered if n not in missing]
    hint = pretrained_hint(get_spec(missing[0])) if missing else ""
    if not offered:
        st.warning(
            f"No teacher of workspace {ws.name} has its ImageNet weights on this machine, and nothing is "
            f"downloaded here. {hint}",
            icon=":material/cloud_off:",
        )
        st.stop()
    if missing:
        with st.expander(f"{len(missing)} teachers are not offered: their weights are not on this machine"):
            st.markdown(hint)
            st.caption(", ".join(missing))
zoo = [r for r in teacher_rows(ws.zoo_dir) if r.name in offered]
bn_free = [r for r in zoo if not r.bn_layers]
device, device_label = device_name()


large = info.image_size > 64
presets = [n for n in PRESETS if PRESETS[n].get("large", False) == large]  # the presets that fit this image size
cols = st.columns(len(presets) + 1)
for col, name in zip(cols, presets):
    col.button(name, on_click=apply_preset, args=(name, info), key=f"preset_{name}")
cols[-1].caption(f"Device: **{device_label}** · workspace **{ws.name}**")
reduced = None
if large and device == "cpu":
    st.warning(
        f"{ws.name} works at {info.image_size} px: on this CPU a run takes minutes per batch. Choose a few "
        "classes, IPC 1 and tens of iterations, or run on a GPU.",
        icon=":material/hourglass_top:",
    )
    reduced = 64 if st.checkbox("Reduced size for this CPU: 64 px", value=True, key="w_reduced") else None

method = field_input(
    "method",
    "",
    "prism",
    options=list(METHODS),
    format_func=lambda m: METHODS[m].title,
    captions=[m.summary for m in METHODS.values()],
)
(recipe, calibrated_note), rules = defaults(method), get_method(method)
names = [r.name for r in zoo]
left, right = st.columns(2)
with left:
    primary = field_input("primary", method, "resnet18", options=names, select=True)
    st.markdown(f"**{rules.pool_role or 'BN-teacher pool'}**")
    # the recipe's pool where this workspace has it, else every other BN teacher it offers
    default_pool = set(recipe.bn_pool) & set(names) or {r.name for r in zoo if r.bn_layers and r.name != primary}
    pool = []
    for r in zoo:
        disabled = r.bn_layers == 0 or not rules.pool_role
        reason = (
            "no BatchNorm layers: it can be a primary, not a BN teacher"
            if r.bn_layers == 0
            else f"{rules.title} uses the primary alone"
            if not rules.pool_role
            else f"{r.bn_layers} BN layers"
        )
        if st.checkbox(
            f"{r.name} ({r.family})",
            value=r.name in default_pool and not disabled,
            disabled=disabled,
            help=reason,
            key=f"w_pool_{method}_{r.name}",
        ):
            pool.append(r.name)
    for r in bn_free:
        st.caption(f":material/block: {r.name}: {r.family} has no BatchNorm layers, so it cannot align BN statistics.")
with right:
    # every row is a config field: its label, help (the CLI's words), bounds and widget come from SynthConfig; a
    # method greys out the options it does not read (Method.options) and a selection everything it does not optimise
    chosen: dict = {}
    for option in ("selection", "reselect_every", "subset_rule", "subset_k", "include_primary"):
        off = (
            option not in rules.options
            or (option == "reselect_every" and chosen.get("selection") != "intra")
            or (option == "subset_k" and chosen.get("subset_rule") != "k")
        )
        chosen[option] = field_input(option, method, getattr(recipe, option), disabled=off)
    chosen["ipc"] = field_input("ipc", method, 2)  # the form starts small: a run in seconds
    class_names = st.multiselect(
        FIELDS["classes"].metadata["label"],
        list(info.class_names),
        default=list(info.class_names),
        key=field_key("classes", method),
        help=FIELDS["classes"].metadata["help"],
    )
    for setting in ("iterations", "lr", "r_bn"):
        chosen[setting] = field_input(setting, method, getattr(recipe, setting), disabled=not rules.optimises)
    if calibrated_note:
        st.caption(calibrated_note)
    inits = [*RULES, "noise"] if has_images else ["noise"]
    chosen["init"] = field_input(
        "init",
        method,
        recipe.init if recipe.init in inits else "noise",
        options=inits,
        format_func=lambda i: RULES[i].title if i in RULES else i,
        disabled=not has_images or not rules.optimises,
    )
    selectors = [n for n in names if n != primary] or names
    for setting in ("residual_every", "residual_alpha"):  # FADRM's data residual: real-image inits only
        chosen[setting] = field_input(setting, method, getattr(recipe, setting), disabled=chosen["init"] == "noise")
    for setting in ("multires_size", "multires_fraction"):  # FADRM's multi-resolution
        chosen[setting] = field_input(setting, method, getattr(recipe, setting), disabled=not rules.optimises)
    chosen["selector"] = field_input(
        "selector",
        method,
        ws.selector or fit_to_zoo(recipe.replace(primary=primary), rules, names)[0].selector,
        options=selectors,
        select=True,
        disabled=chosen["init"] not in RULES or not RULES[chosen["init"]].needs_selector,
    )
    chosen["batch_formation"] = field_input("batch_formation", method, recipe.batch_formation)
    chosen["seed"] = field_input("seed", method, 0)
    gpu = device == "cuda"  # two GPU switches over the precision and compile fields (their other modes: the CLI's)
    fast = st.columns(2)
    bf16 = fast[0].checkbox(
        "bf16 teacher forwards", value=gpu, disabled=not gpu, key="w_bf16", help=help_for("precision")
    )
    compiled = fast[1].checkbox(
        "Compile teachers",
        value=gpu,
        disabled=not gpu,
        key="w_compile",
        help=help_for("compile") + " (the first run compiles, about a minute; later runs "
        "with the same teachers reuse it)",
    )
    if not gpu:
        st.caption(":material/info: bf16 and compiled teachers speed up GPU runs; this server runs on the CPU.")
baseline = st.checkbox(
    "With SRe2L baseline (same primary, init, seed, steps, learning rate and weights)",
    value=True,
    key="w_baseline",
    disabled=baseline_of(recipe) is None,
)
if st.session_state.pop("w_name_used", False) or "w_name" not in st.session_state:  # the last launch took it
    st.session_state["w_name"] = unique_name(method)
name = st.text_input(
    "Run name",
    key="w_name",
    help="Letters, digits, '.', '_' and '-'; a random suffix keeps it unique on a shared server",
)

if st.button("Launch", type="primary", key="launch"):
    # a selection optimises nothing: its recipe fixes the steps, the init and the weights
    settings = {k: v for k, v in chosen.items() if rules.optimises or k not in ("iterations", "lr", "r_bn", "init")}
    cfg = SynthConfig(
        **{
            **ws.run_fields(),
            **settings,
            "method": method,
            "primary": primary,
            "bn_pool": tuple(pool) if rules.pool_role else (),
            "preview_every": 10,
            "classes": tuple(info.class_names.index(c) for c in class_names),
            "precision": "bf16" if gpu and bf16 else "fp32",
            "compile": "default" if gpu and compiled else "off",
            **({"dataset": with_size(ws.dataset, reduced)} if reduced else {}),
        }
    )
    try:
        queued = [job_queue().submit(cfg, name, owner=session_owner())]
        base = baseline_of(cfg) if baseline else None
        if base is not None:
            queued.append(job_queue().submit(base, f"{name}-sre2l", owner=session_owner()))
        st.success(f"Queued {', '.join(j.run_name for j in queued)}")
        st.session_state["w_name_used"] = True
    except Exception as err:  # shown to the user, nothing is created
        st.error(f"Cannot launch: {err}")

st.subheader("Progress")
synthesis_progress()
