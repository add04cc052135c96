from django.apps import AppConfig

from duban.core.contributions import DemoBuilder


class Config(AppConfig):
    """The demo's base scenario (org tree, campaign, accounts); every other app declares its own
    builder on its AppConfig, to run after these (see duban.demo.build)."""

    name = "duban.demo"
    label = "demo"
    verbose_name = "演示数据"
    demo_builders = [
        DemoBuilder("orgs", "duban.demo.orgs.build"),
        DemoBuilder("campaign", "duban.demo.campaign.build", after=("orgs",)),
        DemoBuilder("accounts", "duban.demo.campaign.build_accounts", after=("campaign",)),
    ]
