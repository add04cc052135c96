"""Check an xlsx before python-calamine reads it, so memory follows the file's real content.

calamine builds the first sheet as one dense block from A1 to the farthest cell that holds
a value (32 bytes a cell, then a Python object each), and copies a shared string into
every cell that uses it. A 5 KB file with one value at XFD1048576 asks for 512 GB; one
long shared string used by a million cells asks for its length a million times; a zip
member may inflate to gigabytes. So before calamine sees the bytes we stream every part it
will read (the zip's central directory, workbook, relationships, styles, shared strings,
the first sheet), count what it would build, and refuse beyond `Limits` with one clear
message. Nothing here holds more than a chunk of XML at a time.

The first sheet is read twice only when needed: a fast pass with byte patterns for the
usual shape every spreadsheet program writes (`<c r="B7" ...>`), and, when a sheet looks
different (cells without a position, prefixed tags, odd attributes), a full XML pass
that follows calamine's own positioning rules. Both passes err on the side of counting
more, never less.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from itertools import accumulate
from xml.parsers import expat

MiB = 1 << 20
CHUNK = 1 << 20
MAX_CARRY = 8 * MiB  # the longest stretch without a "<" (a cell's text is at most ~100 KB)


@dataclass(frozen=True)
class Limits:
    """What one import may make calamine build; settings.DUBAN_XLSX_LIMITS overrides fields."""

    max_cells: int = 10_000_000  # rows × columns of the block calamine allocates (~40 bytes each)
    max_columns: int = 1_000
    max_sheet_bytes: int = 512 * MiB  # the first sheet's XML, inflated
    max_strings_bytes: int = 256 * MiB  # sharedStrings.xml, inflated
    max_shared_strings: int = 5_000_000
    max_text_bytes: int = 512 * MiB  # text the cells end up holding (inline + shared, per use)
    max_part_bytes: int = 32 * MiB  # workbook, relationships, styles
    max_merged: int = 1_000_000
    max_members: int = 10_000
    max_directory_bytes: int = 4 * MiB


def current_limits() -> Limits:
    from django.conf import settings

    overrides = getattr(settings, "DUBAN_XLSX_LIMITS", None) if settings.configured else None
    return replace(Limits(), **overrides) if overrides else Limits()


class UnsafeWorkbook(Exception):
    """The file would make the reader allocate beyond the limits (message for people)."""


@dataclass
class SheetFacts:
    # The farthest cell (1-based); 0 and 0 when the fast pass proved the block small enough
    # (every column within A–Z and every row within max_cells // 26) without counting.
    max_row: int = 0
    max_col: int = 0
    text_bytes: int = 0
    merged: int = 0
    formulas: list[str] = field(default_factory=list)


def col_letters(col: int) -> str:
    """1 → A, 27 → AA."""
    out = ""
    while col:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


def _mb(n: int) -> str:
    return f"{n / MiB:.0f} MB"


# ------------------------------------------------------------------------------ the zip


def _check_directory(data: bytes, limits: Limits) -> None:
    """The central directory's declared size and entry count, before any zip library parses it."""
    at = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if at < 0 or at + 22 > len(data):
        raise UnsafeWorkbook("不是有效的 xlsx 文件（压缩包目录缺失）")
    entries, size = struct.unpack_from("<HI", data, at + 10)
    if entries == 0xFFFF or size == 0xFFFFFFFF:  # zip64: the real figures are in the zip64 record
        loc = at - 20
        if loc < 0 or data[loc : loc + 4] != b"PK\x06\x07":
            raise UnsafeWorkbook("不是有效的 xlsx 文件（压缩包目录损坏）")
        (rec,) = struct.unpack_from("<Q", data, loc + 8)
        if rec + 56 > len(data) or data[rec : rec + 4] != b"PK\x06\x06":
            raise UnsafeWorkbook("不是有效的 xlsx 文件（压缩包目录损坏）")
        entries, size = struct.unpack_from("<QQ", data, rec + 32)
    if entries > limits.max_members or size > limits.max_directory_bytes:
        raise UnsafeWorkbook(f"压缩包内文件过多（{entries} 个），不像是 Excel 表格")


def _inflate(data: bytes, info: zipfile.ZipInfo, cap: int, what: str) -> Iterator[bytes]:
    """The member's bytes in chunks, inflated from the raw stream (not trusting the declared
    size, as the reader will not either); UnsafeWorkbook once more than `cap` comes out."""
    if info.flag_bits & 0x1:
        raise UnsafeWorkbook("文件已加密，请取消密码后再导入")
    head = info.header_offset
    if data[head : head + 4] != b"PK\x03\x04":
        raise UnsafeWorkbook("不是有效的 xlsx 文件（压缩包损坏）")
    name_len, extra_len = struct.unpack_from("<HH", data, head + 26)
    start = head + 30 + name_len + extra_len
    raw = memoryview(data)[start : start + info.compress_size]
    too_big = UnsafeWorkbook(f"{what}解压后超过 {_mb(cap)}，可能是“压缩炸弹”；请检查文件，或分成几个文件导入")
    if info.compress_type == zipfile.ZIP_STORED:
        if len(raw) > cap:
            raise too_big
        for i in range(0, len(raw), CHUNK):
            yield bytes(raw[i : i + CHUNK])
        return
    if info.compress_type != zipfile.ZIP_DEFLATED:
        raise UnsafeWorkbook("文件使用了不支持的压缩方式，请在 Excel 中另存为 .xlsx 后再导入")
    d = zlib.decompressobj(-15)
    total = 0
    pos = 0
    while not d.eof:
        if d.unconsumed_tail:
            out = d.decompress(d.unconsumed_tail, CHUNK)
        elif pos < len(raw):
            out = d.decompress(raw[pos : pos + CHUNK], CHUNK)
            pos += CHUNK
        else:
            out = d.flush()
            if not out:
                break
        total += len(out)
        if total > cap:
            raise too_big
        if out:
            yield out
    if not d.eof and pos < len(raw):
        raise UnsafeWorkbook("不是有效的 xlsx 文件（压缩数据损坏）")


def _read_part(data: bytes, info: zipfile.ZipInfo, cap: int, what: str) -> bytes:
    return b"".join(_inflate(data, info, cap, what))


def _pieces(chunks: Iterator[bytes], what: str) -> Iterator[bytes]:
    """Chunks cut just before a "<", so no tag and no `<v>…` text is split between two."""
    tail = b""
    for chunk in chunks:
        buf = tail + chunk if tail else chunk
        cut = buf.rfind(b"<")
        if cut <= 0:
            if len(buf) > MAX_CARRY:
                raise UnsafeWorkbook(f"{what}中有超长的内容（超过 {_mb(MAX_CARRY)} 没有标记），无法安全读取")
            tail = buf
            continue
        yield buf[:cut]
        tail = buf[cut:]
    if tail:
        yield tail


def _xml_head_ok(piece: bytes, what: str) -> None:
    if b"\x00" in piece[:1024]:
        raise UnsafeWorkbook(f"{what}不是 UTF-8 编码的 XML，请在 Excel 中另存为 .xlsx 后再导入")


def _no_dtd(piece: bytes, what: str) -> None:
    if b"<!DOCTYPE" in piece or b"<!ENTITY" in piece:
        raise UnsafeWorkbook(f"{what}含有 DTD 声明，不像是 Excel 生成的文件，无法安全读取")


# ------------------------------------------------------------------- workbook → first sheet


def _attrs_of(xml: bytes, tag: str, what: str) -> list[dict[str, str]]:
    """The attributes of every element whose local name is `tag`, in document order."""
    found: list[dict[str, str]] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        if name.rpartition(":")[2] == tag:
            found.append(attrs)

    _parse(xml, what, start=start)
    return found


def _parse(xml: bytes | Iterator[bytes], what: str, *, start=None, end=None, text=None) -> None:
    p = expat.ParserCreate()
    p.buffer_text = True

    def no_dtd(*_args):
        raise UnsafeWorkbook(f"{what}含有 DTD 声明，不像是 Excel 生成的文件，无法安全读取")

    p.StartDoctypeDeclHandler = no_dtd
    p.EntityDeclHandler = no_dtd
    if start:
        p.StartElementHandler = start
    if end:
        p.EndElementHandler = end
    if text:
        p.CharacterDataHandler = text
    try:
        if isinstance(xml, bytes):
            p.Parse(xml, True)
        else:
            for piece in xml:
                p.Parse(piece, False)
            p.Parse(b"", True)
    except expat.ExpatError as exc:
        raise UnsafeWorkbook(f"{what}的 XML 格式错误（{expat.ErrorString(exc.code)}），请在 Excel 中另存为 .xlsx 后再导入") from exc


def _first_sheet(rels: bytes, workbook: bytes) -> str:
    """The path of the workbook's first sheet, resolved the way calamine resolves it."""
    targets = {a.get("Id", ""): a.get("Target", "") for a in _attrs_of(rels, "Relationship", "工作簿关系表")}
    sheets = _attrs_of(workbook, "sheet", "工作簿")
    if not sheets:
        raise UnsafeWorkbook("工作簿中没有工作表")
    rid = sheets[0].get("r:id") or sheets[0].get("relationships:id") or ""
    target = targets.get(rid)
    if not target:
        raise UnsafeWorkbook("找不到第一个工作表（工作簿关系表不完整）")
    if target.startswith("/xl/"):
        return target[1:]
    return target if target.startswith("xl/") else f"xl/{target}"


# ------------------------------------------------------------------------ shared strings

_SI = re.compile(rb"<(?:[\w.-]+:)?si(?=[\s/>])")
_SI_FORMS = (b"<si><t>", b'<si><t xml:space="preserve">', b"<si><r>")


def _shared_string_sizes(data: bytes, info: zipfile.ZipInfo, limits: Limits) -> array:
    """An upper bound of each shared string's length, indexed as calamine numbers them.

    calamine skips an `<si>` that holds no text element, which shifts the later numbers
    down; when such odd entries exist, each number is bounded by the longest string it
    could have shifted onto."""
    what = "共享字符串表（sharedStrings.xml）"
    sizes = array("Q")
    current = -1  # the open <si>'s byte count so far (-1: before the first)
    total = canonical = 0
    loose = False  # comments or CDATA could hide or fake entries: bound every number loosely
    first = True
    for piece in _pieces(_inflate(data, info, limits.max_strings_bytes, what), what):
        if first:
            _xml_head_ok(piece, what)
            first = False
        _no_dtd(piece, what)
        if b"<!--" in piece or b"<![CDATA[" in piece:
            loose = True
        parts = _SI.split(piece)
        if current >= 0:
            current += len(parts[0])
        for part in parts[1:]:
            if current >= 0:
                sizes.append(current)
            current = len(part)
        total += len(parts) - 1
        canonical += sum(piece.count(form) for form in _SI_FORMS)
        if total > limits.max_shared_strings:
            raise UnsafeWorkbook(f"共享字符串超过 {limits.max_shared_strings} 条，无法安全读取；请分成几个文件导入")
    if current >= 0:
        sizes.append(current)
    skipped = total - canonical
    if skipped > 0 or loose:
        sizes = _shift_bound(sizes, len(sizes) if loose else skipped)
    return sizes


def _shift_bound(sizes: array, shift: int) -> array:
    """sizes[i] := max(sizes[i : i + shift + 1]): what number i may really point at."""
    if shift > 32:  # many odd entries: the longest string at or after i
        return array("Q", reversed(list(accumulate(reversed(sizes), max))))
    pad = array("Q", bytes(8 * shift))
    return array("Q", map(max, *((sizes[k:] + pad[:k]) for k in range(shift + 1))))


# ----------------------------------------------------------------------------- the sheet

# A cell tag not in the usual shape: r first, A1-style, then plain lower-case attributes.
_ODD_CELL = re.compile(rb'<c(?=[\s/>])(?! r="[A-Z]{1,3}[0-9]{1,7}"(?: (?!r=)[a-z]{1,8}="[^"<>]*")*/?>)')
_PREFIXED = re.compile(rb":[cv](?=[\s/>])")
_LETTERS = re.compile(rb'<c r="([A-Z]+)')
_ROWS = re.compile(rb'<c r="[A-Z]+([0-9]+)')
_VALUE = re.compile(rb"<v>([0-9]+)(?![0-9])")  # pieces end before a "<", so the digits are whole
_MERGE = re.compile(rb"mergeCell(?=[\s/>])")
_F_TAG = re.compile(rb"<f[ >/]")
_REF = re.compile(rb"[A-Z]{1,3}[0-9]{1,7}")


def _at_most(n: int) -> bytes:
    """A pattern for decimal integers (leading zeros allowed) no greater than n."""
    digits = str(n)
    alts = [b"[0-9]{1,%d}" % (len(digits) - 1)] if len(digits) > 1 else []
    for i, ch in enumerate(digits):
        if ch != "0":
            alts.append(digits[:i].encode() + b"[0-%d]" % (int(ch) - 1) + b"[0-9]{%d}" % (len(digits) - i - 1))
    alts.append(digits.encode())
    return b"0*(?:" + b"|".join(alts) + b")"


def _text_of_values(found: list[bytes], sizes: array | None) -> int:
    """Bytes the shared strings numbered in `found` add (larger numbers are plain numbers)."""
    if not sizes or not found:
        return 0
    return sum(map(sizes.__getitem__, filter(len(sizes).__gt__, map(int, found))))


class _Odd(Exception):
    """The fast pass met a sheet it cannot read exactly; take the full XML pass."""


def _scan_fast(pieces: Iterator[bytes], facts: SheetFacts, sizes: array | None, limits: Limits) -> bool:
    """Byte patterns over the usual shape (every cell tag `<c r="B7" …>`). Returns True when
    exact bounds are needed: a column beyond Z, or a row beyond what 26 columns allow."""
    row_cap = max(1, limits.max_cells // 26)
    # One pass finds any cell that is odd, beyond column Z or beyond row_cap; once exact
    # bounds are needed anyway, only oddities are looked for.
    check = _ODD_CELL if limits.max_columns < 26 else re.compile(
        rb'<c(?=[\s/>])(?! r="[A-Z]' + _at_most(row_cap) + rb'"(?: (?!r=)[a-z]{1,8}="[^"<>]*")*/?>)'
    )
    need_exact = check is _ODD_CELL
    last_ref = ""
    for piece in pieces:
        pos = 0
        while (m := check.search(piece, pos)) is not None:
            if _ODD_CELL.match(piece, m.start()):
                raise _Odd
            need_exact, check, pos = True, _ODD_CELL, m.end()
        if _PREFIXED.search(piece):
            raise _Odd
        facts.text_bytes += len(piece)
        if sizes:
            facts.text_bytes += _text_of_values(_VALUE.findall(piece), sizes)
        _check_text(facts, limits)
        if b"mergeCell" in piece:
            facts.merged += len(_MERGE.findall(piece))
        if len(facts.formulas) < 5 and b"<f" in piece:
            for m in _F_TAG.finditer(piece):
                k = piece.rfind(b'<c r="', 0, m.start())
                facts.formulas.append(_REF.match(piece, k + 6).group(0).decode() if k >= 0 else last_ref)
                if len(facts.formulas) >= 5:
                    break
        k = piece.rfind(b'<c r="')
        if k >= 0:
            last_ref = _REF.match(piece, k + 6).group(0).decode()
    return need_exact


def _exact_bounds(pieces: Iterator[bytes], facts: SheetFacts) -> None:
    """The farthest row and column of any cell, by the usual shape (second pass, rare)."""
    letters: set[bytes] = set()
    rows = 0
    for piece in pieces:
        letters.update(_LETTERS.findall(piece))
        found = set(_ROWS.findall(piece))
        if found:
            rows = max(rows, max(map(int, found)))
    cols = 0
    for word in letters:
        n = 0
        for ch in word:
            n = n * 26 + ch - 64
        cols = max(cols, n)
    facts.max_row, facts.max_col = rows, cols


def _scan_xml(pieces: Iterator[bytes], facts: SheetFacts, sizes: array | None, limits: Limits) -> None:
    """Every tag through expat, placing cells by calamine's rules: a cell's own `r`, else the
    column after the previous cell in the row, in the row after the previous row."""
    state = {"row": 0, "col": 0, "in_v": False, "v": []}
    n_strings = len(sizes) if sizes else 0

    def place(ref: str) -> tuple[int, int]:
        m = re.fullmatch(r"([A-Za-z]{1,3})([0-9]{1,7})", ref)
        if not m:
            raise UnsafeWorkbook(f"单元格位置“{ref[:20]}”超出 Excel 的范围，无法安全读取")
        col = 0
        for ch in m.group(1).upper():
            col = col * 26 + ord(ch) - 64
        return int(m.group(2)) - 1, col - 1

    def start(name: str, attrs: dict[str, str]) -> None:
        local = name.rpartition(":")[2]
        if local == "row":
            r = attrs.get("r")
            if r is not None:
                if not r.isdigit() or len(r) > 7:
                    raise UnsafeWorkbook(f"行号“{r[:20]}”超出 Excel 的范围，无法安全读取")
                state["row"] = int(r) - 1
        elif local == "c":
            r = attrs.get("r")
            if r is not None:
                row, col = place(r)
            else:
                row, col = state["row"], state["col"]
            state["col"] = col + 1
            facts.max_row = max(facts.max_row, row + 1)
            facts.max_col = max(facts.max_col, col + 1)
        elif local == "v":
            state["in_v"] = True
            state["v"] = []
        elif local == "f" and len(facts.formulas) < 5:
            facts.formulas.append(col_letters(state["col"]) + str(state["row"] + 1))
        elif local == "mergeCell":
            facts.merged += 1

    def end(name: str) -> None:
        local = name.rpartition(":")[2]
        if local == "row":
            state["row"] += 1
            state["col"] = 0
        elif local == "v":
            state["in_v"] = False
            value = "".join(state["v"]).strip()
            if n_strings and value.isdigit() and int(value) < n_strings:
                facts.text_bytes += sizes[int(value)]
                _check_text(facts, limits)

    def text(data: str) -> None:
        if state["in_v"] and len(state["v"]) < 64:
            state["v"].append(data)

    def counted(it: Iterator[bytes]) -> Iterator[bytes]:
        for piece in it:
            facts.text_bytes += len(piece)
            _check_text(facts, limits)
            yield piece

    _parse(counted(pieces), "工作表", start=start, end=end, text=text)


def _check_text(facts: SheetFacts, limits: Limits) -> None:
    if facts.text_bytes > limits.max_text_bytes:
        raise UnsafeWorkbook(
            f"表格中的文字总量过大（解压后超过 {_mb(limits.max_text_bytes)}，共享字符串按每次使用计），无法安全读取；请分成几个文件导入"
        )


def _scan_sheet(data: bytes, info: zipfile.ZipInfo, sizes: array | None, limits: Limits) -> SheetFacts:
    what = "工作表"

    def pieces() -> Iterator[bytes]:
        first = True
        for piece in _pieces(_inflate(data, info, limits.max_sheet_bytes, what), what):
            if first:
                _xml_head_ok(piece, what)
                first = False
            _no_dtd(piece, what)
            yield piece

    facts = SheetFacts()
    try:
        if _scan_fast(pieces(), facts, sizes, limits):
            _exact_bounds(pieces(), facts)
    except _Odd:
        facts = SheetFacts()
        _scan_xml(pieces(), facts, sizes, limits)
    return facts


# ---------------------------------------------------------------------------- the whole


def inspect(data: bytes, limits: Limits | None = None) -> SheetFacts:
    """Check `data` (an xlsx) against `limits`; UnsafeWorkbook with a message for people
    when reading it would cost more than they allow. Returns the first sheet's facts
    (bounds, formula cells) for the caller's own checks."""
    limits = limits or current_limits()
    _check_directory(data, limits)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise UnsafeWorkbook("不是有效的 xlsx 文件（压缩包损坏）") from exc
    infos = zf.infolist()
    if len(infos) > limits.max_members:
        raise UnsafeWorkbook(f"压缩包内文件过多（{len(infos)} 个），不像是 Excel 表格")
    by_name: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        key = info.filename.lower()
        if key in by_name:
            raise UnsafeWorkbook(f"压缩包内有重名的文件“{info.filename}”，无法安全读取")
        by_name[key] = info
    if "content.xml" in by_name or "xl/workbook.bin" in by_name:
        raise UnsafeWorkbook("不是 .xlsx 格式（可能是 .ods 或 .xlsb），请在 Excel 中另存为 .xlsx 后再导入")

    def part(name: str, what: str, *, required: bool = True) -> bytes | None:
        info = by_name.get(name.lower())
        if info is None:
            if required:
                raise UnsafeWorkbook(f"不是有效的 xlsx 文件（缺少 {name}）")
            return None
        body = _read_part(data, info, limits.max_part_bytes, what)
        _xml_head_ok(body, what)
        return body

    rels = part("xl/_rels/workbook.xml.rels", "工作簿关系表")
    workbook = part("xl/workbook.xml", "工作簿")
    part("xl/styles.xml", "样式表", required=False)  # only its size: calamine keeps one entry per style
    sheet_path = _first_sheet(rels or b"", workbook or b"")
    sheet = by_name.get(sheet_path.lower())
    if sheet is None:
        raise UnsafeWorkbook(f"不是有效的 xlsx 文件（找不到工作表 {sheet_path}）")
    strings = by_name.get("xl/sharedstrings.xml")
    sizes = _shared_string_sizes(data, strings, limits) if strings is not None else None
    facts = _scan_sheet(data, sheet, sizes, limits)
    if facts.max_col > limits.max_columns:
        raise UnsafeWorkbook(
            f"列数过多：第{facts.max_col}列（{col_letters(facts.max_col)}列）还有内容，上限 {limits.max_columns} 列；"
            "请删除表格右侧多余的列后再导入"
        )
    if facts.max_row * facts.max_col > limits.max_cells:
        raise UnsafeWorkbook(
            f"表格范围过大：最远的内容在 {col_letters(facts.max_col)}{facts.max_row}（第{facts.max_row}行、第{facts.max_col}列），"
            f"读取要占 {facts.max_row * facts.max_col:,} 个单元格，上限 {limits.max_cells:,} 个；"
            "请删除表格下方和右侧多余的内容（或分成几个文件）后再导入"
        )
    if facts.merged > limits.max_merged:
        raise UnsafeWorkbook(f"合并单元格过多（超过 {limits.max_merged} 个），请取消合并后再导入")
    return facts
