"""Draw the Mermaid graph of a review's Markdown report with the real mermaid-cli, as GitHub would.

Not a test: mermaid-cli needs Node.js, npm and a Chromium, which CI does not install. The suite checks the
graph's structure and size (tests/review/test_outputs.py); this script checks that Mermaid itself draws it.

    apt-get install chromium
    PUPPETEER_SKIP_DOWNLOAD=1 npm install --prefix /tmp/mmdc @mermaid-js/mermaid-cli
    PATH=/tmp/mmdc/node_modules/.bin:$PATH python bench/mermaid_check.py ../shared/samples/deathstarbench

Prints the report's size, the Mermaid block's size and whether mermaid-cli drew it without an error.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from redline.report import review_markdown
from redline.review.engine import review
from redline.sources.scan import scan


def main(path: str) -> int:
    system = scan(Path(path))
    md = review_markdown.render(review(system), system)
    block = re.search(r"```mermaid\n(.*?)\n```", md, re.S)
    print(
        f"markdown: {len(md.encode()):,} bytes; mermaid block: {len(block.group(1)) if block else 0:,} chars"
    )
    mmdc, chromium = shutil.which("mmdc"), shutil.which("chromium") or shutil.which("chromium-browser")
    if block is None or mmdc is None or chromium is None:
        print("mermaid-cli or chromium not found: nothing drawn")
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "graph.mmd").write_text(block.group(1))
        (work / "p.json").write_text(json.dumps({"executablePath": chromium, "args": ["--no-sandbox"]}))
        done = subprocess.run(
            [mmdc, "-p", "p.json", "-i", "graph.mmd", "-o", "graph.svg"],
            cwd=work,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        svg = (work / "graph.svg").read_text() if (work / "graph.svg").exists() else ""
    bad = done.returncode != 0 or "Maximum text size" in svg or "Syntax error" in svg or not svg
    nodes = svg.count('class="node ')
    print(f"mermaid-cli exit {done.returncode}; drawn: {'no' if bad else 'yes'} ({nodes} nodes)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "examples/shop/kubernetes"))
