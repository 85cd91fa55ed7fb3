"""Write the small test notebooks of tests/pipeline (run: python make_notebooks.py)."""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).parent

TOWNSHIP = [
    new_code_cell(
        'township = "甲镇"\nyear = None\ndata_dir = "data/raw/sample_district"\n'
        "processed_dir = None",
        metadata={"tags": ["parameters"]},
    ),
    new_code_cell(
        "import os, sys, time, warnings, zlib\n"
        "import matplotlib\n"
        "import matplotlib.pyplot as plt\n"
        "import pandas as pd\n"
        "from IPython.display import HTML, display\n"
        "faults = os.environ.get('COMMEVAL_TEST_FAULT', '')  # 'kind:township;kind:township'\n"
        "for kind, _, target in (f.partition(':') for f in faults.split(';')):\n"
        "  if target == township:\n"
        "    if kind == 'error':\n"
        "        raise RuntimeError(f'injected failure for {township}')\n"
        "    if kind == 'kill-kernel':\n"
        "        os.kill(os.getpid(), 9)\n"
        "    if kind == 'kill-worker':  # the kernel's parent is the pipeline's worker process\n"
        "        os.kill(os.getppid(), 9)\n"
        "    if kind == 'sleep':\n"
        "        time.sleep(60)\n"
        "seed = zlib.crc32(township.encode())\n"
        "leak_seen = 'leaked' in globals()\n"
        "leaked = township"
    ),
    new_markdown_cell("# 测试报告\n\n这是一份测试用的报告。"),
    new_code_cell(
        "display(HTML(f'<h2>{township}</h2><p>上一份报告的变量可见：{leak_seen}</p>'))\n"
        'display(HTML(f\'<p class="run-time">生成时间：{time.strftime("%Y-%m-%d %H:%M:%S")}</p>\'))\n'
        "print('年份', year)\n"
        "sys.stderr.write('a stderr line\\n')\n"
        "warnings.warn('a warning that must not reach the page')"
    ),
    new_code_cell(
        "df = pd.DataFrame({'指标': list('ABCDE'), '得分': [(seed >> i) % 97 for i in range(5)]})\n"
        "df"
    ),
    new_code_cell(
        "lw = plt.rcParams['lines.linewidth']\n"
        "fig, ax = plt.subplots(figsize=(4, 2.5))\n"
        "ax.bar(df['指标'], df['得分'])\n"
        "ax.set_title(f'lw={lw} figs={len(plt.get_fignums())}')\n"
        "plt.rcParams['lines.linewidth'] = 7.0  # a style change that must not leak\n"
        "plt.show()"
    ),
]

SUMMARY = [
    new_code_cell(
        'year = None\ndata_dir = "data/raw/sample_district"\nprocessed_dir = None\nreports = []',
        metadata={"tags": ["parameters"]},
    ),
    new_code_cell(
        "from html import escape\n"
        "from IPython.display import HTML, display\n"
        "rows = ''.join(\n"
        '    f\'<tr><td><a href="{escape(r["href"] or "")}">{escape(r["township"])}</a></td>\'\n'
        '    f\'<td class="status-{r["status"]}">{r["status"]}</td>\'\n'
        '    f\'<td>{escape(r.get("error") or "")}</td></tr>\'\n'
        "    for r in reports\n"
        ")\n"
        "display(HTML(f'<h1>区汇总</h1><table>{rows}</table>'))"
    ),
]


def write(name: str, cells: list) -> None:
    nb = new_notebook(cells=cells)
    # what JupyterLab writes for the python3 kernel, so opening a notebook does not modify it
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.write(nb, str(HERE / name))


if __name__ == "__main__":
    write("township.ipynb", TOWNSHIP)
    write("summary.ipynb", SUMMARY)
