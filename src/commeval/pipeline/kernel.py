"""A warm Jupyter kernel that executes one report notebook after another.

Why: a fresh kernel per report pays kernel start-up, ``import pandas/matplotlib/commeval`` and the
district evaluation every time. :class:`WarmKernel` starts one kernel (IPC transport: Unix
sockets, so parallel workers never race for TCP ports — the ``ZMQError: Address already in use``
of parallel papermill runs) and, between reports, restores a fresh-kernel state:

* ``InteractiveShell.reset`` (new user namespace, no ``Out``/``_`` history), execution count 1;
* matplotlib: every figure closed, ``rcdefaults()`` then the rc file's defaults (the notebook
  re-applies the report style);
* working directory, ``os.environ``, ``sys.path`` and warning filters as at kernel start.

Imported modules stay loaded — that is the point — and so does ``commeval.district``'s
in-process district cache (its result depends only on the inputs).

A kernel can be *warmed* before its first report: :meth:`WarmKernel.warm` runs hidden code
(imports, loading the district) right away and again after every kernel replacement; the first
report then starts with the same reset as every later one. After the reset, the objects that
survived it (modules, the district, caches) are moved to the garbage collector's permanent
generation (``gc.freeze``), so the reset's and the report's collections only walk what the
report itself allocates (a full collection of the warm heap costs ~0.1 s per report).
Notebooks run through nbclient exactly as papermill runs them (papermill is nbclient underneath).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass

import nbformat
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from commeval.display import PAGES_ONLY_ENV
from commeval.errors import CommevalError

#: Run once in a new kernel: remember the state a fresh kernel has.
_SNAPSHOT = """
def __commeval_snapshot():
    import os, sys, types, warnings
    state = types.ModuleType("__commeval_warm__")
    state.cwd = os.getcwd()
    state.environ = dict(os.environ)
    state.path = list(sys.path)
    state.filters = list(warnings.filters)
    sys.modules["__commeval_warm__"] = state
__commeval_snapshot()
del __commeval_snapshot
"""

#: Run before every report but the first: back to the state remembered above.
_RESET = """
def __commeval_reset():
    import os, sys, warnings
    state = sys.modules["__commeval_warm__"]
    ip = get_ipython()
    if "matplotlib.pyplot" in sys.modules:
        import matplotlib, matplotlib.pyplot as plt
        plt.close("all")
        matplotlib.rcdefaults()
        matplotlib.rc_file_defaults()
    os.chdir(state.cwd)
    os.environ.clear()
    os.environ.update(state.environ)
    sys.path[:] = state.path
    warnings.filters[:] = state.filters
    if hasattr(warnings, "_filters_mutated"):
        warnings._filters_mutated()  # forget "shown once" registries
    for mod in list(sys.modules.values()):
        reg = getattr(mod, "__warningregistry__", None)
        if isinstance(reg, dict):
            reg.clear()
    ip.reset(new_session=False)  # collects the previous report's garbage
    ip.execution_count = 1
    import gc
    gc.freeze()  # what survived is long-lived: later collections skip it
__commeval_reset()
"""

#: After hidden warm-up code: keep what it made out of later collections. No collection first
#: (0.1 s after the imports): the little cyclic garbage of imports and loading stays, frozen.
_FREEZE = "import gc\ngc.freeze()"


class _WarmClient(NotebookClient):
    """nbclient's client, running a hidden ``prelude`` (no history, no outputs kept) first."""

    def __init__(self, nb: nbformat.NotebookNode, prelude: str | None, **kw: object) -> None:
        super().__init__(nb, **kw)
        self.prelude = prelude

    async def async_execute(self, reset_kc: bool = False, **kwargs: object):
        if not self.prelude:
            return await super().async_execute(reset_kc=reset_kc, **kwargs)
        async with self.async_setup_kernel(**kwargs):
            first = self.nb.cells[0] if self.nb.cells else None
            cell = nbformat.v4.new_code_cell(self.prelude)
            try:
                await self.async_execute_cell(cell, 0, store_history=False)
            finally:  # nbclient stores the executed cell at the index it is given
                if first is not None:
                    self.nb.cells[0] = first
        return await super().async_execute(reset_kc=reset_kc, **kwargs)

    execute = run_sync(async_execute)  # the base class binds its own coroutine


class ReportFailed(CommevalError):
    """A report could not be rendered; ``kind`` is ``error``, ``timeout`` or ``kernel``."""

    summary = "报告生成失败 (report failed)"

    def __init__(self, kind: str, message: str, nb: nbformat.NotebookNode | None = None):
        super().__init__(message)
        self.kind = kind
        self.nb = nb


@dataclass
class KernelStats:
    started: int = 0
    reports: int = 0


def kernel_log_path() -> str:
    """The kernels' own log (``$COMMEVAL_KERNEL_LOG``, else ``commeval-kernels-<uid>.log`` in
    the temporary folder): kernel start-up and shutdown messages, never shown in a terminal."""
    env = os.environ.get("COMMEVAL_KERNEL_LOG")
    if env:
        return env
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return os.path.join(tempfile.gettempdir(), f"commeval-kernels-{uid}.log")


class WarmKernel:
    """One long-lived kernel executing notebooks one after another with a clean state each."""

    def __init__(
        self, kernel_name: str = "python3", cwd: str | None = None, startup_timeout: float = 120
    ) -> None:
        self.kernel_name = kernel_name
        self.cwd = cwd or os.getcwd()
        self.startup_timeout = startup_timeout
        self.warmups: list[str] = []  # hidden code run after every (re)start
        self.warm_timeout = 600.0
        self.km: AsyncKernelManager | None = None
        self.kc = None
        self._ipc_dir: str | None = None
        self._dirty = False
        self.stats = KernelStats()
        #: where the kernel process' stdout/stderr go (default: :func:`kernel_log_path`)
        self.log_path: str | None = None
        self._log = None

    # -- life cycle ---------------------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        """The kernel's process id (so a supervisor can end it if this process dies)."""
        prov = getattr(self.km, "provisioner", None)
        proc = getattr(prov, "process", None)
        return getattr(proc, "pid", None)

    @property
    def alive(self) -> bool:
        return self.km is not None and bool(run_sync(self.km.is_alive)())

    def start(self, while_starting: Callable[[], object] | None = None) -> None:
        """Start the kernel on IPC transport, remember its fresh state and run the warm-ups.

        ``while_starting`` runs in this process while the kernel boots (e.g. warming the
        exporter)."""
        self._ipc_dir = tempfile.mkdtemp(prefix="ce-kernel-")
        km = AsyncKernelManager(kernel_name=self.kernel_name, transport="ipc")
        km.ip = os.path.join(self._ipc_dir, "k")
        km.connection_file = os.path.join(self._ipc_dir, "kernel.json")
        # No IPython history database: kernels running side by side would otherwise contend
        # for ~/.ipython's history.sqlite and print "Session/line number was not unique" into
        # a report.
        # The kernel process' own output (its log: "Exception in message handler", ZMQ errors
        # when it is shut down mid-cell) goes to a log file, never to the terminal; what a
        # notebook prints reaches the report through the kernel's messages, not through this.
        self._log = open(self.log_path or kernel_log_path(), "ab")  # noqa: SIM115 - kept open
        run_sync(km.start_kernel)(
            cwd=self.cwd,
            # the pages are what a batch run keeps: sections skip notebook-only extras
            env={**os.environ, PAGES_ONLY_ENV: "pages"},
            extra_arguments=["--HistoryManager.enabled=False"],
            stdout=self._log,
            stderr=self._log,
        )
        kc = km.client()
        kc.start_channels()
        if while_starting is not None:
            while_starting()
        run_sync(kc.wait_for_ready)(timeout=self.startup_timeout)
        self.km, self.kc = km, kc
        self._dirty = False
        self.stats.started += 1
        if not self._hidden(_SNAPSHOT, self.startup_timeout):
            raise RuntimeError("kernel state snapshot failed")
        for code in list(self.warmups):
            self._warm_now(code)

    def warm(self, code: str) -> bool:
        """Run hidden ``code`` now (if started) and after every kernel replacement; True if it
        ran without error. Its names and state are reset before the next report; what it
        imports or caches stays warm. A failing warm-up only costs speed (the report does the
        work itself), never a report."""
        self.warmups.append(code)
        return self._warm_now(code) if self.km is not None else False

    def _warm_now(self, code: str) -> bool:
        try:
            ok = self._hidden(code, self.warm_timeout)
            self._dirty = True
            if ok:
                self._hidden(_FREEZE, self.warm_timeout)
            return ok
        except TimeoutError:  # the kernel is stuck in it: replace the kernel, without this code
            self.warmups.remove(code)
            self._replace()
        except Exception:  # noqa: BLE001 - dead kernel: the next run() replaces it
            pass
        return False

    def _hidden(self, code: str, timeout: float | None) -> bool:
        """Execute ``code`` silently (no history, no execution count, outputs discarded)."""
        reply = run_sync(self.kc.execute_interactive)(
            code,
            silent=True,
            store_history=False,
            allow_stdin=False,
            timeout=timeout,
            output_hook=lambda msg: None,
        )
        return reply.get("content", {}).get("status") == "ok"

    def shutdown(self) -> None:
        """Stop the kernel (now) and remove its sockets."""
        if self.kc is not None:
            self.kc.stop_channels()
        if self.km is not None:
            try:
                run_sync(self.km.shutdown_kernel)(now=True)
            except Exception:  # noqa: BLE001 - best effort on the way out
                pass
        self.km = self.kc = None
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._ipc_dir:
            shutil.rmtree(self._ipc_dir, ignore_errors=True)
            self._ipc_dir = None

    def restart(self) -> None:
        """Replace the kernel by a new one (after a timeout or a dead kernel)."""
        self.shutdown()
        self.start()

    def __enter__(self) -> WarmKernel:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    # -- running ------------------------------------------------------------------------------
    def run(self, nb: nbformat.NotebookNode, timeout: float | None = None) -> nbformat.NotebookNode:
        """Execute ``nb`` (already parameterised) and return it with outputs.

        ``timeout`` bounds the whole notebook. Raises :class:`ReportFailed`; after a timeout or a
        dead kernel the kernel has been replaced, so the next call works.
        """
        if self.km is None:
            self.start()
        elif not self.alive:
            self.restart()
        prelude = _RESET if self._dirty else None
        self._dirty = True
        deadline = None if timeout is None else time.monotonic() + timeout

        def cell_timeout(cell: object) -> int | None:
            if deadline is None:
                return None
            return max(1, int(deadline - time.monotonic() + 0.999))

        client = _WarmClient(
            nb,
            prelude=prelude,
            km=self.km,
            kernel_name=self.kernel_name,
            timeout_func=cell_timeout,
            resources={"metadata": {"path": self.cwd}},
        )
        client.kc = self.kc  # reuse the started client (a trait, not a constructor argument)
        self.stats.reports += 1
        try:
            return client.execute()
        except CellExecutionError as exc:
            raise ReportFailed("error", _first_lines(str(exc)), nb) from exc
        except (CellTimeoutError, TimeoutError) as exc:
            self._replace()
            raise ReportFailed("timeout", f"超时 (timeout after {timeout:g} s)", nb) from exc
        except DeadKernelError as exc:
            self._replace()
            raise ReportFailed("kernel", f"内核意外退出 (kernel died): {exc}", nb) from exc
        except Exception as exc:  # noqa: BLE001 - any other client failure: new kernel, report it
            self._replace()
            raise ReportFailed("kernel", f"{type(exc).__name__}: {exc}", nb) from exc

    def _replace(self) -> None:
        try:
            self.restart()
        except Exception:  # noqa: BLE001 - next run() will try again
            self.shutdown()


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _first_lines(text: str, n: int = 12) -> str:
    """The useful end of nbclient's error text (some traceback and the exception line), without
    terminal colour codes."""
    lines = [ln for ln in _ANSI.sub("", text).strip().splitlines() if ln.strip()]
    return "\n".join(lines[-n:])
