from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from duban.core.contributions import ApiRouter, DemoBuilder, HookImpl


class Config(AppConfig):
    name = "duban.triage"
    label = "triage"
    verbose_name = "分拣与热点"
    default_auto_field = "django.db.models.BigAutoField"
    api_routers = [ApiRouter("/triage", "duban.triage.api.router")]
    demo_builders = [DemoBuilder("triage", "duban.triage.demo.build", after=("intake",))]
    # Triage builds on intake through the hooks intake offers (intake never imports triage).
    hook_impls = [
        # New suggestions get the router's top three as they arrive, so the inbox only reads.
        HookImpl("intake.arrived", "duban.triage.services.predict_arrived"),
        HookImpl("intake.predictions", "duban.triage.queries.predictions_shown"),
        # Each confirmed or corrected routing becomes a training example.
        HookImpl("intake.routed", "duban.triage.services.route_learn"),
        HookImpl("intake.reply_flags", "duban.triage.queries.reply_flags"),
        HookImpl("intake.hot_issues_visible", "duban.triage.queries.may_see_hot"),
    ]
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
