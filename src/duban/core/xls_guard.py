"""Check an .xls (BIFF8 in an OLE2 compound file; WPS .et files are usually the same inside)
before python-calamine reads it, so memory follows the file's real content.

calamine parses *every* sheet of an xls as soon as it opens the file, and trusts several
declared sizes: it reserves `rows × cols` cells for each sheet's DIMENSIONS record, a
vector of the SST's declared string count, a buffer of each stream's declared length, and
it copies a shared string into every cell that uses it (one 65,535-character string used
by a million LABELSST records is gigabytes). Some malformed records make it panic. So we
walk the same structures first, without building anything: the compound file's sector
chains to the Workbook stream, the SST's string lengths, and each sheet's cell records,
and refuse beyond `Limits` with one clear message. Formulas are refused here outright:
calamine rebuilds each formula's text, which a crafted record can make huge and slow.
"""

from __future__ import annotations

import struct
from array import array
from dataclasses import dataclass, field

from duban.core.xlsx_guard import Limits, SheetFacts, UnsafeWorkbook, col_letters, current_limits

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENDOFCHAIN = 0xFFFFFFFE
FREESECT = 0xFFFFFFFF
MAX_SHEETS = 1_000
_BROKEN = "xls 文件结构损坏，无法读取；请在 Excel 或 WPS 中打开后另存为 .xlsx 再导入"


@dataclass
class XlsFacts(SheetFacts):
    sheets: int = 0
    dense_cells: int = 0  # what calamine allocates for all sheets together
    merged_ranges: list = field(default_factory=list)


# ------------------------------------------------------------------- the compound file


class _Cfb:
    """Just enough of MS-CFB to find the stream calamine reads, with every id checked."""

    def __init__(self, data: bytes):
        if len(data) < 512 or not data.startswith(OLE_MAGIC):
            raise UnsafeWorkbook(_BROKEN)
        self.data = data
        shift = struct.unpack_from("<H", data, 30)[0]
        if shift not in (9, 12) or struct.unpack_from("<H", data, 32)[0] != 6:
            raise UnsafeWorkbook(_BROKEN)
        self.ssz = 1 << shift
        self.v4 = shift == 12
        self.n_sectors = max(0, len(data) // self.ssz - 1)
        dir_len, n_fat, self.dir_start = struct.unpack_from("<III", data, 40)
        self.minifat_start, n_minifat, difat_start, n_difat = struct.unpack_from("<IIII", data, 60)
        # calamine reserves buffers from these counts: each must fit in the file
        for n in (dir_len, n_fat, n_minifat, n_difat):
            if n > self.n_sectors:
                raise UnsafeWorkbook(_BROKEN)
        self.n_minifat = n_minifat
        difat = list(struct.unpack_from("<109I", data, 76))
        sid, seen = difat_start, set()
        per = self.ssz // 4
        while sid not in (FREESECT, ENDOFCHAIN):
            if sid in seen or len(seen) > n_difat:
                raise UnsafeWorkbook(_BROKEN)
            seen.add(sid)
            entries = struct.unpack_from(f"<{per}I", self._sector(sid))
            difat.extend(entries[:-1])
            sid = entries[-1]
        fat = array("I")
        for sid in difat:
            if sid != FREESECT:
                fat.frombytes(self._sector(sid))
        if fat.itemsize != 4:  # pragma: no cover - every platform we run on
            raise UnsafeWorkbook(_BROKEN)
        self.fat = fat
        self.dirs = [self._entry(d) for d in _chunks(self._chain(self.dir_start, self.fat, self.ssz, self._sector), 128)]
        if not self.dirs:
            raise UnsafeWorkbook(_BROKEN)
        for _name, _start, size in self.dirs:
            if size > len(data):  # calamine reserves the declared length
                raise UnsafeWorkbook(_BROKEN)

    def _sector(self, sid: int) -> bytes:
        if sid >= self.n_sectors:
            raise UnsafeWorkbook(_BROKEN)
        at = (sid + 1) * self.ssz
        return self.data[at : at + self.ssz]

    def _chain(self, start: int, fat, size: int, read) -> bytes:
        out = bytearray()
        sid, steps = start, 0
        while sid != ENDOFCHAIN:
            if sid >= len(fat) or steps > len(fat):
                raise UnsafeWorkbook(_BROKEN)
            out += read(sid)
            sid = fat[sid]
            steps += 1
        return bytes(out)

    def _entry(self, raw: bytes) -> tuple[str, int, int]:
        name = raw[:64].decode("utf-16-le", "ignore").split("\0", 1)[0]
        start = struct.unpack_from("<I", raw, 116)[0]
        size = struct.unpack_from("<Q" if self.v4 else "<I", raw, 120)[0]
        return name, start, size

    def stream(self, names: tuple[str, ...]) -> bytes | None:
        for wanted in names:  # calamine tries "Workbook", then "Book", first entry of each
            for name, start, size in self.dirs:
                if name == wanted:
                    if size < 4096:
                        return self._mini(start, size)
                    return self._chain(start, self.fat, size, self._sector)[:size]
        return None

    def _mini(self, start: int, size: int) -> bytes:
        _root, root_start, root_size = self.dirs[0]
        mini = self._chain(root_start, self.fat, root_size, self._sector)[:root_size]
        minifat = array("I")
        minifat.frombytes(self._chain(self.minifat_start, self.fat, 0, self._sector) if self.n_minifat else b"")

        def read(sid: int) -> bytes:
            if (sid + 1) * 64 > len(mini):
                raise UnsafeWorkbook(_BROKEN)
            return mini[sid * 64 : sid * 64 + 64]

        return self._chain(start, minifat, size, read)[:size]


def _chunks(data: bytes, n: int):
    for i in range(0, len(data) - n + 1, n):
        yield data[i : i + n]


# --------------------------------------------------------------------------- BIFF records


def _records(stream: bytes, pos: int):
    """(type, body, position) of each record from `pos` to the end of the stream."""
    n = len(stream)
    while pos + 4 <= n:
        typ, length = struct.unpack_from("<HH", stream, pos)
        if pos + 4 + length > n:
            return  # calamine stops with an error: nothing more is built
        yield typ, stream[pos + 4 : pos + 4 + length], pos
        pos += 4 + length


def _sst_sizes(parts: list[bytes], limits: Limits) -> array:
    """An upper bound (UTF-8 bytes) of each shared string, read the way calamine reads them
    (a string's characters may run on into CONTINUE records, each with a new flag byte)."""
    sizes = array("Q")
    first = parts[0]
    if len(first) < 8:
        return sizes
    declared = struct.unpack_from("<i", first, 4)[0]
    total = sum(len(p) for p in parts)
    # calamine reserves the declared count up front (and panics on a negative one)
    if declared < 0 or declared > total // 3 + 1 or declared > limits.max_shared_strings:
        raise UnsafeWorkbook(f"共享字符串表声明了 {declared} 条字符串，与文件内容不符，无法安全读取")
    idx, buf, pos = 0, first, 8

    def next_part() -> bool:
        nonlocal idx, buf, pos
        idx += 1
        if idx >= len(parts):
            return False
        buf, pos = parts[idx], 0
        return True

    for _ in range(declared):
        if pos >= len(buf) and not next_part():
            break
        if len(buf) - pos < 3:
            break
        cch, flags = struct.unpack_from("<HB", buf, pos)
        pos += 3
        runs = ext = 0
        if flags & 0x8:
            if len(buf) - pos < 2:
                break
            runs = struct.unpack_from("<H", buf, pos)[0]
            pos += 2
        if flags & 0x4:
            if len(buf) - pos < 4:
                break
            ext = struct.unpack_from("<I", buf, pos)[0]
            pos += 4
        wide = flags & 0x1
        left = cch
        while left:
            width = 2 if wide else 1
            take = min(left, (len(buf) - pos) // width)
            pos += take * width
            left -= take
            if left:
                if not next_part() or not buf:
                    return sizes
                wide = buf[0] & 0x1
                pos = 1
        sizes.append(cch * 3)
        skip = runs * 4 + ext
        while skip:
            if pos >= len(buf) and not next_part():
                return sizes
            take = min(skip, len(buf) - pos)
            pos += take
            skip -= take
    return sizes


def inspect_xls(data: bytes, limits: Limits | None = None) -> XlsFacts:
    """Check `data` (an xls) against `limits`; UnsafeWorkbook with a message for people when
    reading it would cost more than they allow. Returns the first sheet's facts."""
    limits = limits or current_limits()
    cfb = _Cfb(data)
    stream = cfb.stream(("Workbook", "Book"))
    if stream is None:
        raise UnsafeWorkbook("这个文件不是 Excel 97–2003 工作簿（可能是 WPS 专有格式或其他 Office 文件）；请在 WPS 或 Excel 中另存为 .xlsx 后再导入")
    sheets: list[int] = []
    sst = array("Q")
    for typ, body, pos in _records(stream, 0):
        if typ == 0x002F and body[:2] != b"\0\0":  # FILEPASS
            raise UnsafeWorkbook("文件已加密，请取消密码后再导入")
        if typ == 0x0085:  # BOUNDSHEET
            if len(body) < 8:
                raise UnsafeWorkbook(_BROKEN)
            sheets.append(struct.unpack_from("<I", body)[0])
            if len(sheets) > MAX_SHEETS:
                raise UnsafeWorkbook(f"工作表超过 {MAX_SHEETS} 个，无法安全读取")
        elif typ == 0x00FC:  # SST and its CONTINUE records
            parts = [body]
            for t2, b2, _p in _records(stream, pos + 4 + len(body)):
                if t2 != 0x003C:
                    break
                parts.append(b2)
            sst = _sst_sizes(parts, limits)
        elif typ == 0x000A:  # EOF of the globals
            break
    facts = XlsFacts(sheets=len(sheets))
    scanned = 0
    for i, start in enumerate(sheets):
        if start >= len(stream):
            raise UnsafeWorkbook(_BROKEN)
        sheet = _scan_sheet(stream, start, sst, limits, facts, first=i == 0)
        scanned += sheet
        if scanned > len(stream):  # sheets that overlap would be read (and allocated) twice
            raise UnsafeWorkbook(_BROKEN)
    if facts.formulas:
        raise UnsafeWorkbook(f"文件含有公式（{'、'.join(facts.formulas)}），请粘贴为数值后再导入（或另存为 .xlsx）")
    return facts


def _scan_sheet(stream: bytes, start: int, sst: array, limits: Limits, facts: XlsFacts, *, first: bool) -> int:
    """Count one sheet's cells, bounds and text into `facts`; returns the bytes scanned."""
    max_row = max_col = -1
    min_row = min_col = 1 << 32
    reserve = 0
    end = start
    merged: list = []
    n_sst = len(sst)
    for typ, body, pos in _records(stream, start):
        end = pos + 4 + len(body)
        cells: tuple[int, int, int] | None = None  # (row, first col, last col)
        if typ in (0x0203, 0x0205, 0x027E, 0x00FD, 0x0204, 0x0006) and len(body) >= 6:
            row, col = struct.unpack_from("<HH", body)
            cells = (row, col, col)
            if typ == 0x00FD and len(body) >= 10:
                k = struct.unpack_from("<I", body, 6)[0]
                if k < n_sst:
                    facts.text_bytes += sst[k]
            elif typ == 0x0204 and len(body) >= 8:
                facts.text_bytes += struct.unpack_from("<H", body, 6)[0] * 3
            elif typ == 0x0006 and len(facts.formulas) < 5:
                facts.formulas.append(f"{col_letters(col + 1)}{row + 1}")
        elif typ == 0x00BD and len(body) >= 6:  # MULRK
            row, c0 = struct.unpack_from("<HH", body)
            c1 = struct.unpack_from("<H", body, len(body) - 2)[0]
            if c1 >= c0:
                cells = (row, c0, c1)
        elif typ == 0x0207 and len(body) >= 2:  # a formula's text result
            facts.text_bytes += struct.unpack_from("<H", body)[0] * 3
        elif typ == 0x0200:  # DIMENSIONS: calamine reserves rows × cols cells from it
            if len(body) == 14:
                rf, rl, cf, cl = struct.unpack_from("<IIHH", body)
            elif len(body) == 10:
                rf, rl, cf, cl = struct.unpack_from("<HHHH", body)
            else:
                continue
            if rl >= 1 and cl >= 1:
                if rl - 1 < rf or cl - 1 < cf:
                    raise UnsafeWorkbook(_BROKEN)
                reserve = max(reserve, (rl - rf) * (cl - cf))
        elif typ == 0x00E5 and len(body) >= 2:  # MERGEDCELLS
            count = struct.unpack_from("<H", body)[0]
            if 2 + 8 * count > len(body):
                raise UnsafeWorkbook(_BROKEN)
            facts.merged += count
            if first:
                for k in range(count):
                    r0, r1, c0, c1 = struct.unpack_from("<HHHH", body, 2 + 8 * k)
                    merged.append(((r0, c0), (r1, c1)))
        elif typ == 0x000A:
            break
        if cells is not None:
            row, c0, c1 = cells
            max_row, max_col = max(max_row, row), max(max_col, c1)
            min_row, min_col = min(min_row, row), min(min_col, c0)
        if facts.text_bytes > limits.max_text_bytes:
            raise UnsafeWorkbook(f"表格中的文字总量过大（超过 {limits.max_text_bytes >> 20} MB），无法安全读取；请分成几个文件导入")
        if facts.merged > limits.max_merged:
            raise UnsafeWorkbook(f"合并单元格过多（超过 {limits.max_merged} 个），请取消合并后再导入")
    dense = (max_row - min_row + 1) * (max_col - min_col + 1) if max_row >= 0 else 0
    facts.dense_cells += max(dense, reserve)
    if first:
        facts.max_row, facts.max_col = max_row + 1, max_col + 1
        facts.merged_ranges = merged
        if facts.max_col > limits.max_columns:
            raise UnsafeWorkbook(
                f"列数过多：第{facts.max_col}列（{col_letters(facts.max_col)}列）还有内容，上限 {limits.max_columns} 列；"
                "请删除表格右侧多余的列后再导入"
            )
        # python-calamine hands the sheet over from A1: the block Python builds
        facts.dense_cells += facts.max_row * facts.max_col
    if facts.dense_cells > limits.max_cells:
        raise UnsafeWorkbook(
            f"表格范围过大：读取要占 {facts.dense_cells:,} 个单元格，上限 {limits.max_cells:,} 个；"
            "请删除表格下方和右侧多余的内容（或分成几个文件）后再导入"
        )
    return end - start
