"""The recipes of the README's readers' guide, as the tests run them.

The section "### Reading the archive: …" of README.md holds one fenced code
block per recipe, marked in its info string: ```sql recipe:duckdb,
```python recipe:spark, … The tests take each recipe's code from there, so
what the README shows is what CI runs.

    recipe(name)          the code of the block marked recipe:NAME
    beside_archive(path)  work from a new folder where `archive` links to path,
                          as the recipes expect (they read archive/<dataset>)
    run_python(name, ns)  exec the Python recipe NAME with the names in ns
                          (e.g. spark); its print()s go to stderr; returns
                          the names it defined
"""

import contextlib
import os
import re
import sys
import tempfile
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "### Reading the archive:"
BLOCK = re.compile(r"^```(\w+) recipe:([\w-]+)\n(.*?)^```$", re.M | re.S)


def recipe(name):
    text = README.read_text()
    start = text.find("\n" + SECTION)
    if start < 0:
        sys.exit(f"readers_guide: README.md has no section {SECTION!r}")
    ends = [i for i in (text.find("\n## ", start + 1), text.find("\n### ", start + 1)) if i >= 0]
    section = text[start : min(ends, default=len(text))]
    found = [code for _, marked, code in BLOCK.findall(section) if marked == name]
    if len(found) != 1:
        sys.exit(f"readers_guide: {len(found)} blocks marked recipe:{name} in README.md's readers' guide")
    return found[0]


def beside_archive(archive):
    workdir = tempfile.mkdtemp()
    os.symlink(Path(archive).resolve(), os.path.join(workdir, "archive"))
    os.chdir(workdir)
    return workdir


def run_python(name, namespace=None):
    namespace = dict(namespace or {})
    code = compile(recipe(name), f"README.md recipe:{name}", "exec")
    with contextlib.redirect_stdout(sys.stderr):
        exec(code, namespace)
    return namespace
