"""Render the shipped Fashion-MNIST benchmark: docs/results.md, docs/img/results.png and forest.png, and the README's
verdict, from the committed cells (docs/measurements/grid/cells.json) as they are. Nothing is measured here.

    python scripts/results.py
    # to measure more cells first (resumes; --scheduler ADDRESS for a running Dask cluster):
    python -m prism_core benchmark --workspace embedded --ipcs 50 --students resnet18,convnet,vit \\
        --out docs/measurements/grid
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from prism_core.benchmark import SHIPPED, headline, load_cells, write_outputs
from prism_core.workspaces import EMBEDDED_WORKSPACE

ROOT = Path(__file__).resolve().parents[1]
README_MARK = re.compile(r"(<!-- results:start -->\n).*?(<!-- results:end -->)", re.S)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cells", type=Path, default=SHIPPED, help="the measured cells")
    ap.add_argument("--docs", type=Path, default=ROOT / "docs", help="where results.md and img/*.png go")
    ap.add_argument("--readme", type=Path, default=ROOT / "README.md", help="its results block is rewritten")
    args = ap.parse_args()
    cells = load_cells(args.cells)
    write_outputs(
        cells, args.docs / "results.md", args.docs / "img", EMBEDDED_WORKSPACE.extractor, "python scripts/results.py"
    )
    text = args.readme.read_text() if args.readme.is_file() else ""
    if README_MARK.search(text):
        args.readme.write_text(README_MARK.sub(lambda m: m[1] + "\n".join(headline(cells)) + "\n" + m[2], text))
    print(f"wrote {args.docs / 'results.md'}, its figures in {args.docs / 'img'} and the verdict in {args.readme}")


if __name__ == "__main__":
    main()
