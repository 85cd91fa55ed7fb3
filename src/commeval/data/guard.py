"""Resource guards for inputs (资源保护): a hostile or broken file must end in one clear Chinese
error, within seconds and bounded memory — never a hang, a MemoryError or a traceback.

- only **regular files** are read: FIFOs, devices, sockets and folders are refused after
  ``os.stat`` (which never blocks), and files are opened with ``O_NONBLOCK`` and checked again
  with ``fstat`` (a file swapped for a FIFO in between is refused too);
- **size limits** before anything is read: :data:`MAX_DATA_BYTES` for a data file,
  :data:`MAX_YAML_BYTES` for dataset.yaml and codebooks;
- **zip bombs**: the central directory of an ``.xlsx``/``.ods`` (a ZIP container) is read and the
  declared inflated sizes are summed *before* any entry is inflated (:data:`MAX_UNZIPPED_BYTES`,
  and a compression ratio above :data:`MAX_ZIP_RATIO` for a large entry); Python's ``zipfile``
  never inflates an entry beyond its declared size, so the declaration cannot lie upwards;
- **YAML alias bombs**: a document is composed (aliases stay shared references, cheap) and its
  size *as expanded* is counted before it is constructed (:data:`MAX_YAML_NODES`).
"""

from __future__ import annotations

import io
import os
import stat
import zipfile
from pathlib import Path
from typing import Any

import yaml

from commeval.errors import InputError

MAX_DATA_BYTES = 256 << 20  # one raw data file (CSV, Excel, SPSS)
MAX_YAML_BYTES = 1 << 20  # dataset.yaml, a codebook
MAX_UNZIPPED_BYTES = 512 << 20  # a workbook's entries, inflated, all together
#: the same for an .xlsx, which is streamed when large (readers.STREAM_XLSX_BYTES): a 100 MB
#: survey export inflates to about 1 GB of XML and is read in bounded memory
MAX_STREAMED_UNZIPPED_BYTES = 2 << 30
MAX_ZIP_RATIO = 200  # inflated / compressed, for an entry inflating to more than 16 MiB
MAX_YAML_NODES = 200_000  # nodes of a YAML document with every alias expanded

_KINDS = [
    (stat.S_ISFIFO, "命名管道（FIFO）"),
    (stat.S_ISCHR, "字符设备"),
    (stat.S_ISBLK, "块设备"),
    (stat.S_ISSOCK, "套接字"),
    (stat.S_ISDIR, "文件夹"),
]


class GuardError(InputError, ValueError):
    """An input refused by a guard; ``rule`` and the Chinese message say why."""

    def __init__(self, rule: str, message: str):
        super().__init__(message)
        self.rule = rule
        self.message = message


def _mb(n: int) -> str:
    return f"{n / (1 << 20):,.0f} MB" if n >= 1 << 20 else f"{n:,} 字节"


def _kind(mode: int) -> str:
    for test, label in _KINDS:
        if test(mode):
            return label
    return "特殊文件"


def check_regular(path: str | Path, limit: int | None = MAX_DATA_BYTES) -> os.stat_result:
    """``os.stat`` of a file that may be read: a regular file within ``limit`` bytes; else
    :class:`GuardError` (``not_regular_file`` / ``file_too_large``). Never blocks."""
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        raise GuardError(
            "not_regular_file",
            f"不是普通文件（是{_kind(st.st_mode)}），未读取；请指向一个真正的数据文件",
        )
    if limit is not None and st.st_size > limit:
        raise GuardError(
            "file_too_large",
            f"文件过大（{_mb(st.st_size)}，上限 {_mb(limit)}），未读取；请检查是否选错了文件，"
            "大的问卷数据请拆分后导入",
        )
    return st


def read_regular(path: str | Path, limit: int | None = MAX_DATA_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (see :func:`check_regular`);
    opened without blocking and checked again on the open descriptor."""
    check_regular(path, limit)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise GuardError("not_regular_file", f"不是普通文件（是{_kind(st.st_mode)}），未读取")
        chunks, total = [], 0
        cap = limit if limit is not None else 1 << 62
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            total += len(chunk)
            if total > cap:  # grown since stat
                raise GuardError("file_too_large", f"文件过大（超过上限 {_mb(cap)}），未读取")
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def check_zip(data: bytes, limit: int = MAX_UNZIPPED_BYTES) -> None:
    """Refuse a ZIP container (xlsx, ods) that would inflate beyond the limits (``limit`` in
    all, :data:`MAX_ZIP_RATIO` for a large entry), reading only its central directory. A damaged
    directory is left for the reader to report."""
    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return
    total = 0
    for info in infos:
        total += info.file_size
        big = info.file_size > 16 << 20
        if big and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1):
            raise GuardError(
                "zip_bomb",
                f"表格文件中的“{info.filename[:60]}”压缩比异常（{_mb(info.compress_size)} 解压后为 "
                f"{_mb(info.file_size)}），疑为“压缩炸弹”，未解压；请用 Excel/WPS 打开后另存再导入",
            )
    if total > limit:
        raise GuardError(
            "zip_bomb",
            f"表格文件解压后达 {_mb(total)}（上限 {_mb(limit)}），未解压；"
            "疑为“压缩炸弹”或数据过大，请检查文件或另存为 CSV 后导入",
        )


class _Loader(yaml.SafeLoader):
    pass


def _expanded(node: yaml.Node, memo: dict[int, int], limit: int) -> int:
    """Nodes of ``node`` with every alias expanded (memoised per node: linear time)."""
    key = id(node)
    if key in memo:
        return memo[key]
    memo[key] = limit + 1  # a node reached again while counting it: a cycle, count as too big
    n = 1
    if isinstance(node, yaml.SequenceNode):
        for child in node.value:
            n += _expanded(child, memo, limit)
            if n > limit:
                break
    elif isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            n += _expanded(k, memo, limit) + _expanded(v, memo, limit)
            if n > limit:
                break
    memo[key] = n
    return n


def safe_yaml(text: str, limit: int = MAX_YAML_NODES) -> Any:
    """``yaml.safe_load`` with the document's expanded size bounded: an alias bomb ("billion
    laughs") raises :class:`GuardError` before anything is built."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded(node, {}, limit) > limit:
            raise GuardError(
                "yaml_bomb",
                f"YAML 展开后超过 {limit:,} 个节点（别名 &/* 层层引用，疑为“别名炸弹”），未读取",
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()


def load_yaml_file(path: str | Path) -> Any:
    """A YAML file read through every guard: regular file, at most :data:`MAX_YAML_BYTES`,
    UTF-8, bounded expansion. Raises :class:`GuardError`, ``yaml.YAMLError`` or
    ``UnicodeDecodeError``."""
    data = read_regular(path, MAX_YAML_BYTES)
    return safe_yaml(data.decode("utf-8"))
