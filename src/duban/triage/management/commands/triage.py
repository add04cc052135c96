"""`duban triage train|classify|retrain|hot|models`: the router and hot issues from the command line.

    duban triage train FILE --text-col C --label-col L --model PATH
    duban triage classify FILE --text-col C --model PATH --out OUT.csv
    duban triage retrain [--target area|unit|label] [--campaign ID]    (from the office's routed history)
    duban triage hot [FILE.csv] [--campaign ID]                          (hot issues, stored for the UI)

FILE is xlsx or csv (UTF-8 or GB18030). Several --text-col values are joined (e.g. 留言主题
and 留言详情). Nothing is downloaded; everything runs on the CPU.
"""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from duban.core.actors import CLI
from duban.core.xls_guard import OLE_MAGIC
from duban.core.xlsx import XLSX_MAGIC, Column, ImportRejected, read_table, text


def read_rows(path: str, columns: list[str]) -> tuple[list[str], list[dict]]:
    """(header, rows as dicts) from a spreadsheet (xlsx/xls/ods: first sheet) or a csv file.

    Spreadsheets go through the importers' reader, so the same memory guard, header search
    (title rows above the header) and merged-cell filling apply; `columns` must be present.
    """
    p = Path(path)
    if not p.exists():
        raise CommandError(f"找不到文件 {path}")
    data = p.read_bytes()
    if data.startswith(XLSX_MAGIC) or data.startswith(OLE_MAGIC):
        from django.conf import settings

        try:
            table = read_table(data, [Column(c, required=True) for c in dict.fromkeys(columns)],
                               max_bytes=settings.DUBAN_MAX_IMPORT_BYTES)
        except ImportRejected as exc:
            raise CommandError("\n".join(str(e) for e in exc.errors[:20])) from exc
        header = [h for h in table.header if h]
        index = {h: i for i, h in enumerate(table.header) if h}
        rows = [{h: text(cells[i]) if i < len(cells) else "" for h, i in index.items()} for _, cells in table.rows]
        return header, rows
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text_ = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise CommandError("无法识别文件编码（请用 UTF-8 或 GB18030 的 csv，或 Excel 表格）")
    reader = csv.DictReader(io.StringIO(text_, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    return header, list(reader)


def _texts(rows: list[dict], cols: list[str], header: list[str]) -> list[str]:
    missing = [c for c in cols if c not in header]
    if missing:
        raise CommandError(f"找不到列：{'、'.join(missing)}；文件的列：{'、'.join(header)}")
    return ["\n".join((r.get(c) or "").strip() for c in cols).strip() for r in rows]


class Command(BaseCommand):
    help = "Train and run the intake router; find hot issues."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        t = sub.add_parser("train", help="train a router on any labeled xlsx/csv")
        t.add_argument("file")
        t.add_argument("--text-col", action="append", required=True, help="text column (repeat to join several)")
        t.add_argument("--label-col", required=True)
        t.add_argument("--model", required=True, help="where to save the model")
        t.add_argument("--cv", type=int, default=5, help="cross-validation folds for the reported metrics (0: none)")
        t.add_argument("--register", choices=["area", "label", "unit"], default=None, help="also register it as the active router for this target")
        t.add_argument("--campaign", type=int, default=None)
        c = sub.add_parser("classify", help="label every row of an xlsx/csv")
        c.add_argument("file")
        c.add_argument("--text-col", action="append", required=True)
        c.add_argument("--model", required=True)
        c.add_argument("--out", required=True, help="output csv: the input columns plus label and confidence")
        c.add_argument("--top", type=int, default=1, help="also write the k best labels (label_2, confidence_2…)")
        r = sub.add_parser("retrain", help="train from the office's routed history (with its corrections)")
        r.add_argument("--target", choices=["area", "label", "unit"], action="append")
        r.add_argument("--campaign", type=int, default=None)
        h = sub.add_parser("hot", help="find hot issues in a csv (TipDM layout) or in a campaign's suggestions")
        h.add_argument("file", nargs="?")
        h.add_argument("--campaign", type=int, default=None)
        h.add_argument("--limit", type=int, default=None)
        h.add_argument("--top", type=int, default=10, help="how many to print")
        sub.add_parser("models", help="list the registered routers")

    def handle(self, *args, **opts):
        getattr(self, f"do_{opts['action']}")(opts)

    # ------------------------------------------------------------------ train
    def do_train(self, opts):
        from duban.triage import engine

        header, rows = read_rows(opts["file"], [*opts["text_col"], opts["label_col"]])
        if opts["label_col"] not in header:
            raise CommandError(f"找不到标签列“{opts['label_col']}”；文件的列：{'、'.join(header)}")
        texts = _texts(rows, opts["text_col"], header)
        pairs = [(t, (r.get(opts["label_col"]) or "").strip()) for t, r in zip(texts, rows, strict=True)]
        pairs = [(t, lab) for t, lab in pairs if t and lab]
        if len(pairs) < 10 or len({lab for _, lab in pairs}) < 2:
            raise CommandError(f"训练样本不足：{len(pairs)} 条、{len({lab for _, lab in pairs})} 个类别（至少 10 条、2 个类别）")
        started = time.perf_counter()
        if opts["register"]:
            from duban.campaigns.models import Campaign
            from duban.triage.services import train_model

            campaign = Campaign.objects.filter(pk=opts["campaign"]).first() if opts["campaign"] else None
            row = train_model(actor=CLI, skip_checks=True, texts=[t for t, _ in pairs], labels=[lab for _, lab in pairs], target=opts["register"],
                              campaign=campaign, source=Path(opts["file"]).name, path=opts["model"], cv=opts["cv"])
            info = {"version": row.version, "labels": row.labels, "metrics": row.metrics}
        else:
            model = engine.train([t for t, _ in pairs], [lab for _, lab in pairs], cv=opts["cv"])
            engine.save(model, opts["model"])
            info = engine.model_info(model)
        seconds = time.perf_counter() - started
        self.stdout.write(f"已训练：{len(pairs)} 条样本，{len(info['labels'])} 个类别，用时 {seconds:.1f} 秒；版本 {info['version']}")
        if info["metrics"]:
            self.stdout.write("交叉验证：" + json.dumps(_short(info["metrics"]), ensure_ascii=False))
        self.stdout.write(f"模型已保存到 {opts['model']}")

    # ------------------------------------------------------------------ classify
    def do_classify(self, opts):
        from duban.triage import engine

        if not Path(opts["model"]).exists():
            raise CommandError(f"找不到模型 {opts['model']}")
        header, rows = read_rows(opts["file"], opts["text_col"])
        texts = _texts(rows, opts["text_col"], header)
        model = engine.load(opts["model"])
        k = max(1, opts["top"])
        started = time.perf_counter()
        tops = engine.predict_top(model, [t or " " for t in texts], k=k) if texts else []
        seconds = time.perf_counter() - started
        extra = ["label", "confidence"] + [f"{name}_{i}" for i in range(2, k + 1) for name in ("label", "confidence")]
        out_header = [h for h in header if h not in extra] + extra
        with open(opts["out"], "w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(out_header)
            for r, top in zip(rows, tops, strict=True):
                cells = [r.get(h, "") for h in header if h not in extra]
                cells += [top[0][0], f"{top[0][1]:.4f}"] if top else ["", ""]
                for i in range(1, k):
                    cells += [top[i][0], f"{top[i][1]:.4f}"] if i < len(top) else ["", ""]
                w.writerow(cells)
        rate = len(rows) / seconds if seconds > 0 else 0
        self.stdout.write(f"已分类 {len(rows)} 行（{rate:,.0f} 条/秒），写入 {opts['out']}")

    # ------------------------------------------------------------------ retrain
    def do_retrain(self, opts):
        from django.core.exceptions import ValidationError

        from duban.campaigns.models import Campaign
        from duban.triage.services import train_from_history

        qs = Campaign.objects.select_related("unit")
        campaign = qs.filter(pk=opts["campaign"]).first() if opts["campaign"] else qs.filter(is_active=True).order_by("-start_date", "-id").first()
        if campaign is None:
            raise CommandError("找不到活动")
        for target in opts["target"] or ["area", "unit", "label"]:
            try:
                m = train_from_history(actor=CLI, skip_checks=True, campaign=campaign, target=target)
            except ValidationError as exc:
                self.stdout.write(f"{target}：跳过（{'；'.join(exc.messages)}）")
                continue
            self.stdout.write(f"{m.get_target_display()}：{m.n_train} 条，版本 {m.version}，{json.dumps(_short(m.metrics), ensure_ascii=False)}")

    # ------------------------------------------------------------------ hot
    def do_hot(self, opts):
        from duban.campaigns.models import Campaign
        from duban.triage import services

        campaign = Campaign.objects.filter(pk=opts["campaign"]).first() if opts["campaign"] else None
        if opts["file"]:
            run = services.hot_from_csv(actor=CLI, skip_checks=True, path=opts["file"], campaign=campaign, limit=opts["limit"])
        else:
            campaign = campaign or Campaign.objects.filter(is_active=True).order_by("-start_date", "-id").first()
            if campaign is None:
                raise CommandError("找不到活动")
            run = services.hot_from_suggestions(actor=CLI, skip_checks=True, campaign=campaign)
        self.stdout.write(f"{run.n_messages} 条留言 → {run.n_issues} 个热点，用时 {run.seconds} 秒")
        for h in run.issues.order_by("rank")[: opts["top"]]:
            span = f"{h.first_at:%Y-%m-%d}—{h.last_at:%Y-%m-%d}" if h.first_at and h.last_at else ""
            self.stdout.write(f"{h.rank:>3}. {h.title}  [{h.size} 条，{h.users} 人，点赞 {h.support}，{span}，{'、'.join(h.places)}]")

    def do_models(self, opts):
        from duban.triage.models import RouterModel

        for m in RouterModel.objects.order_by("-trained_at")[:50]:
            self.stdout.write(f"{m.pk:>4} {'*' if m.is_active else ' '} {m.get_target_display()} {m.version} n={m.n_train} {json.dumps(_short(m.metrics), ensure_ascii=False)} {m.path}")


def _short(metrics: dict) -> dict:
    keep = ("macro_f1", "accuracy", "cv_folds", "folds", "macro_f1_std", "throughput", "per_second")
    short = {k: v for k, v in metrics.items() if k in keep}
    return short or {k: v for k, v in list(metrics.items())[:6] if not isinstance(v, (dict, list))}
