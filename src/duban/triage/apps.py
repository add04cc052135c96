from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "duban.triage"
    label = "triage"
    verbose_name = "分拣与热点"
    default_auto_field = "django.db.models.BigAutoField"
    audit_verbs = {"router.train": _("训练分拣模型"), "hotissues.run": _("分析热点问题")}
    # Keys inside the recorded figures of a training or a hot-issue run.
    audit_terms = {
        "target": _("预测目标"), "n_train": _("训练条数"), "metrics": _("评估"), "model": _("模型"),
        "temperature": _("置信度校准"), "cv_macro_f1": _("交叉验证 F1"), "mean": _("平均"), "std": _("标准差"),
        "folds": _("折数"), "per_fold": _("各折"), "grouped_duplicates": _("重复留言同折"),
        "macro_f1": _("F1"), "n_messages": _("留言数"), "n_issues": _("热点数"), "classes": _("类别数"),
    }

    def nav(self) -> list:
        from duban.core.nav import NavItem
        from duban.triage.queries import may_see_hot

        return [NavItem("triage:hot", _("热点问题"), 30, may_see_hot, active_for=("triage:",))]

    def ready(self) -> None:
        # New suggestions get the router's top three as they arrive, so the inbox only reads.
        from duban.intake.services import on_arrival
        from duban.triage.services import predict_arrived

        on_arrival(predict_arrived)
