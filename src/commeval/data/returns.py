"""Township returns as they really come (各乡镇报送的表格): rows that are not data, names written
in several ways, columns holding people's names.

- :func:`skip_nondata` — totals and subtotals (合计/总计/小计/汇总, an Excel table's totals row),
  sign-off and note rows (填表人, 审核人, 联系电话, 填报日期, 单位盖章, 注/说明 …) are removed from a
  raw frame and listed as warnings with their Excel rows; a sign-off row's own content is never
  echoed (its words go to the set of personal values redacted everywhere).
- :func:`norm_name` / :func:`unify_names` — township, village and community names are matched
  after normalising full-/half-width forms, spaces and brackets; each merged spelling is listed.
- :func:`name_column` — an unmapped column whose header or content says it holds people's names.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from commeval.data import problems as P
from commeval.data.readers import RawFrame

_SPACES = re.compile(r"\s+")
_BRACKETS = str.maketrans({"【": "(", "】": ")", "〔": "(", "〕": ")", "[": "(", "]": ")",
                           "{": "(", "}": ")", "〈": "(", "〉": ")", "《": "(", "》": ")"})  # fmt: skip
_TOTAL = re.compile(
    r"^(?:.{0,12}?(?:合计|总计|小计|汇总|共计|累计|总数|合\s*计)(?:\(.*\)|:.*)?"
    r"|全区|全县|全市|全旗|全镇|全乡|全乡镇|全区县"
    r"|(?:grand\s*)?(?:sub\s*)?total|sum)$",
    re.I,
)
SIGNOFF_LABELS = (
    "填表人", "填报人", "制表人", "统计人", "统计员", "审核人", "审批人", "复核人", "核对人", "负责人",
    "单位负责人", "分管领导", "主要领导", "主管领导", "联系人", "联系电话", "电话", "手机", "填报日期",
    "填表日期", "制表日期", "报送日期", "统计日期", "日期", "单位盖章", "盖章", "公章", "(盖章)",
    "(公章)", "填报单位", "报送单位", "签字", "签名", "调查员", "审核", "制表", "填表", "填报", "复核",
    "审批", "校核", "核对", "主管", "单位(盖章)", "单位(公章)", "填报时间", "报送时间", "制表时间",
    "领导签字", "负责人签字",
)  # fmt: skip
NOTE_LABELS = ("注", "备注", "说明", "附注", "填表说明", "数据来源", "资料来源", "注释")
_LABEL = re.compile(
    r"^(?:" + "|".join(re.escape(x) for x in sorted(SIGNOFF_LABELS, key=len, reverse=True)) + r")"
    r"(?:[:=]|$|\(|\s)"
)
_NOTE = re.compile(
    r"^(?:" + "|".join(re.escape(x) for x in sorted(NOTE_LABELS, key=len, reverse=True)) + r")"
    r"(?:[:=]|$|\d|[、.])"
)
_LABEL_ANY = re.compile(
    "|".join(re.escape(x) for x in sorted(SIGNOFF_LABELS, key=len, reverse=True))
)


def norm_name(text: Any) -> str:
    """A place name for matching: NFKC (full-width → half-width, （ → ( ), no whitespace, every
    bracket kind as round brackets. ``王堂（东）``, ``王堂(东)`` and ``王堂 (东)`` are one name."""
    s = unicodedata.normalize("NFKC", str(text))
    return _SPACES.sub("", s).translate(_BRACKETS)


def _norm_cell(text: str) -> str:
    return _SPACES.sub("", unicodedata.normalize("NFKC", text))


def _column_masks(data: pd.DataFrame, *patterns: re.Pattern) -> list[np.ndarray]:
    """One (rows × columns) boolean array per pattern: does the cell's normalised text
    (:func:`_norm_cell`; cells of at most 40 characters) match it. Each column is factorised
    once and only its distinct values are tested: text in Arrow (NFKC, spaces removed, RE2),
    the few hits confirmed with Python's ``re``; other values in Python."""
    out = [np.zeros(data.shape, dtype=bool) for _ in patterns]
    for j, c in enumerate(data.columns):
        codes, uniq = pd.factorize(data[c], use_na_sentinel=True)
        if not len(uniq):
            continue
        flags = [np.zeros(len(uniq) + 1, dtype=bool) for _ in patterns]  # last: missing (-1)
        try:
            arr = pa.array(uniq, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            arr = None
        if arr is not None and (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
            short = pc.less_equal(pc.utf8_length(arr), 40)
            norm = pc.replace_substring_regex(pc.utf8_normalize(arr, "NFKC"), r"[\s\p{Z}]+", "")
            for f, rx in zip(flags, patterns, strict=True):
                found = pc.and_kleene(
                    short,
                    pc.match_substring_regex(norm, rx.pattern, ignore_case=bool(rx.flags & re.I)),
                )
                for i in np.flatnonzero(found.fill_null(False).to_numpy(zero_copy_only=False)):
                    # confirmed with Python's re (RE2 and re differ at the edges)
                    f[i] = bool(rx.match(_norm_cell(arr[int(i)].as_py())))
        else:
            values = np.asarray(uniq, dtype=object)
            short_i = [i for i, u in enumerate(values) if isinstance(u, str) and len(u) <= 40]
            texts = [_norm_cell(values[i]) for i in short_i]
            for f, rx in zip(flags, patterns, strict=True):
                if short_i:
                    f[short_i] = [bool(rx.match(t)) for t in texts]
        for mask, f in zip(out, flags, strict=True):
            if f.any():
                mask[:, j] = f[codes]
    return out


def skip_nondata(raw: RawFrame) -> tuple[list[dict[str, Any]], set[str]]:
    """Remove the rows of ``raw`` that are not data (in place: ``data``, ``rows``; each removed
    row is added to ``rows_dropped``) → (warnings listing them, personal words of the sign-off
    rows to redact wherever they would be quoted)."""
    df = raw.data
    n = len(df)
    if n == 0 or not len(df.columns):
        return [], set()
    filled = (df.notna() & (df != "")).to_numpy()
    first = np.where(filled.any(axis=1), filled.argmax(axis=1), -1)
    total, label, note = _column_masks(df, _TOTAL, _LABEL, _NOTE)
    total = total.any(axis=1)
    idx = np.arange(n)
    ok = first >= 0
    at_first = np.zeros(n, dtype=bool)
    at_first[ok] = label[idx[ok], first[ok]] | note[idx[ok], first[ok]]
    signoff = at_first.copy()
    # a note block under the table: the rows after a sign-off/note row that hold at most two
    # cells (a note's continuation lines "2、…", a name under 填表人)
    nfilled = filled.sum(axis=1)
    i = n - 1
    pending: list[int] = []
    while i >= 0:
        if at_first[i]:
            for k in pending:
                signoff[k] = True
            pending = []
        elif nfilled[i] <= 2 and not total[i]:
            pending.append(i)
        else:
            break
        i -= 1
    excel_total = np.isin(raw.rows, list(raw.skip_rows)) if raw.skip_rows else np.zeros(n, bool)
    values = _RowValues(df)  # the few rows looked at, not the whole frame as objects
    under = np.zeros(n, dtype=bool)  # 栏次 / 单位 rows right under the header
    for k in range(min(2, n)):
        cells = [str(v).strip() for v in values[k] if isinstance(v, str) and v.strip()]
        if under_header(cells):
            under[k] = True
        else:
            break
    drop = total | signoff | excel_total | under
    if not drop.any():
        return [], set()
    probs: list[dict[str, Any]] = []
    secrets: set[str] = set()
    for k in np.flatnonzero(drop):
        row = int(raw.rows[k])
        cells = [str(v).strip() for v in values[k] if isinstance(v, str) and v.strip()]
        if under[k]:
            probs.append(
                P.one(P.WARNING, "header_note_row", "表头下的栏次/计量单位说明行，不是数据，已跳过",
                      file=raw.file, sheet=raw.sheet, row=row, value=" ".join(cells)[:40])
            )  # fmt: skip
        elif excel_total[k] or total[k]:
            why = raw.skip_rows.get(row) or "合计/小计行"
            shown = next((c for c in cells if _TOTAL.match(_norm_cell(c))), "")
            probs.append(
                P.one(P.WARNING, "total_row", f"{why}，不是数据，已跳过（未计入，以免重复计算）",
                      file=raw.file, sheet=raw.sheet, row=row, value=shown)
            )  # fmt: skip
        else:
            labels = sorted({m.group(0) for c in cells for m in _LABEL_ANY.finditer(_norm_cell(c))})
            kind = "签字/落款行" if labels else "表下说明行"
            said = f"（{'、'.join(labels)}）" if labels else ""
            probs.append(
                P.one(P.WARNING, "signoff_row", f"{kind}{said}，不是数据，已跳过；其内容不显示",
                      file=raw.file, sheet=raw.sheet, row=row)
            )  # fmt: skip
            secrets |= signoff_words(cells)
    keep = ~drop
    raw.rows_dropped = [*raw.rows_dropped, *(int(r) for r in raw.rows[drop])]
    raw.data = df.loc[keep].reset_index(drop=True)
    raw.rows = raw.rows[keep]
    fc = {}
    pos = np.cumsum(keep) - 1
    for i0, j in raw.formula_cells:
        if keep[i0]:
            fc[(int(pos[i0]), j)] = True
    raw.formula_cells = set(fc)
    return probs, secrets


class _RowValues:
    """``df``'s rows as object arrays, built one row at a time when asked (``values[k]``)."""

    def __init__(self, df: pd.DataFrame) -> None:
        self.df = df

    def __getitem__(self, k: int) -> np.ndarray:
        return self.df.iloc[int(k)].to_numpy(dtype=object)


_UNIT = re.compile(r"^\(?(?:计量|金额|面积)?单位[:(]")
_STEMS = set("甲乙丙丁戊己庚辛壬癸")


def under_header(cells: list[str]) -> bool:
    """A row right under the header that describes it: 栏次 (``甲 乙 1 2 3 …``, consecutive
    column numbers) or the unit of measure (``单位：人、户、元``)."""
    if not cells:
        return False
    norm = [_norm_cell(c) for c in cells]
    if _UNIT.match(norm[0]) or norm[0] in ("栏次", "列次", "栏号"):
        return True
    nums = [int(c) for c in norm if re.fullmatch(r"\d{1,3}", c)]
    stems = [c for c in norm if c in _STEMS]
    return (
        len(nums) >= 3
        and len(nums) + len(stems) == len(norm)
        and all(b == a + 1 for a, b in zip(nums, nums[1:], strict=False))
    )


def signoff_words(cells: Iterable[str]) -> set[str]:
    """The words of a sign-off row that may be people's names (labels and dates removed)."""
    out: set[str] = set()
    for c in cells:
        text = _LABEL_ANY.sub(" ", _norm_cell(c))
        for part in re.split(r"[:：,，;；、\s()（）/]+", text):
            part = part.strip()
            if 2 <= len(part) <= 12 and not part.isdigit():
                out.add(part)
    return out


# --- name-holding columns ---------------------------------------------------------------------

#: header words of columns holding people's names (an unmapped column whose normalised header
#: contains one is personal)
NAME_HEADER_WORDS = (
    "姓名", "名字", "受访人", "受访者", "被访人", "被访者", "被调查人", "被调查者", "调查对象", "户主",
    "联系人", "填表人", "填报人", "调查员", "访问员", "访员", "审核人", "负责人", "经办人", "签名", "签字",
    "支书", "书记", "主任", "村长", "网格员", "手机", "电话", "身份证", "住址", "微信", "邮箱",
)  # fmt: skip
SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔"
    "向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童"
    "凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项"
    "连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米杭郎苑邬鞠邸臧"
)
COMPOUND_SURNAMES = ("司马", "欧阳", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙",
                     "宇文", "司徒", "夏侯", "轩辕", "令狐", "端木", "独孤", "南宫", "申屠")  # fmt: skip
_PLACE_END = tuple("村镇乡街道区县市组庄屯寨店集营湾社委处局站所院校厂场队部会")
_PERSON = re.compile(r"^[\u4e00-\u9fff·]{2,5}(?:\([^()]{0,8}\))?$")


def looks_like_person(text: str) -> bool:
    """A cell that reads like a Chinese personal name: a known surname (single or compound)
    and one or two characters more, maybe a short note in brackets (``马静(户主)``)."""
    s = _norm_cell(text)
    if not _PERSON.match(s):
        return False
    core = s.split("(", 1)[0]
    if core.endswith(_PLACE_END):
        return False
    for sur in COMPOUND_SURNAMES:
        if core.startswith(sur):
            return 3 <= len(core) <= 4
    return core[0] in SURNAMES and 2 <= len(core) <= 3


def name_header(header: str) -> bool:
    """An unmapped header naming people or their contacts (受访人, 户主姓名, 联系人及电话…)."""
    h = _norm_cell(header)
    return any(w in h for w in NAME_HEADER_WORDS)


def name_column(col: pd.Series, places: set[str], share: float = 0.6) -> bool:
    """Whether an unmapped column holds people's names by its content: at least two filled
    cells and ``share`` of its distinct filled texts read like personal names — never when they
    are township or village names of the dataset (``places``, normalised)."""
    vals = [v.strip() for v in pd.unique(col.dropna()) if isinstance(v, str) and v.strip()]
    if len(vals) < 2 and col.notna().sum() < 2:
        return False
    if not vals:
        return False
    hits = [v for v in vals if looks_like_person(v) and norm_name(v) not in places]
    return len(hits) >= 2 and len(hits) >= share * len(vals) if len(vals) >= 2 else False


# --- one name, several spellings --------------------------------------------------------------

#: name fields matched across tables after :func:`norm_name`: group → (table, field) in the
#: order whose first spelling is kept
NAME_GROUPS = {
    "township": [("townships", "township"), ("villages", "township"), ("communities", "township"),
                 ("population", "township"), ("survey", "township")],
    "village": [("villages", "village"), ("survey", "village"), ("survey", "psu")],
    "community": [("communities", "community")],
}  # fmt: skip


def unify_names(located: dict[str, Any]) -> list[dict[str, Any]]:
    """Rewrite township/village/community names written in several ways (full-/half-width,
    spaces, brackets) to one spelling — without spaces, the most used, the first met on a tie —
    in place; one warning per merged spelling and file, at its first row, naming the spelling
    kept."""
    probs: list[dict[str, Any]] = []
    for group in NAME_GROUPS.values():
        tally: dict[str, dict[str, int]] = {}
        for table, fname in group:
            loc = located.get(table)
            if loc is None or fname not in loc.df:
                continue
            for v, n in loc.df[fname].dropna().value_counts(sort=False).items():
                spellings = tally.setdefault(norm_name(v), {})
                spellings[str(v)] = spellings.get(str(v), 0) + int(n)
        # the spelling kept: without spaces first, then the most used, then the first met
        canon = {
            k: max(sp, key=lambda x: (not re.search(r"\s", x), sp[x])) for k, sp in tally.items()
        }
        for table, fname in group:
            loc = located.get(table)
            if loc is None or fname not in loc.df:
                continue
            col = loc.df[fname]
            codes, uniq = pd.factorize(col, use_na_sentinel=True)
            target = [canon.get(norm_name(u), str(u)) for u in uniq]
            changed = [str(u) != t for u, t in zip(uniq, target)]
            if not any(changed):
                continue
            new = np.append(np.array(target, dtype=object), None)[codes]
            loc.df[fname] = pd.Series(new, index=col.index, dtype="string")
            files = loc.file_per_row()
            for k, (u, t) in enumerate(zip(uniq, target)):
                if not changed[k]:
                    continue
                hit = np.flatnonzero(codes == k)
                seen: set[str] = set()
                for i in hit:
                    if files[i] in seen:
                        continue
                    seen.add(files[i])
                    probs.append(
                        P.one(P.WARNING, "name_variant", f"名称写法“{u}”与“{t}”只差全角/半角、空格"
                              f"或括号，视为同一名称，统一为“{t}”", file=files[i],
                              sheet=loc.sheet_per_row()[i], row=int(loc.rows[i]),
                              column=loc.headers.get(fname, fname), field=fname, value=str(u))
                    )  # fmt: skip
    return probs
