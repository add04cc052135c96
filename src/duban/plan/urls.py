"""The plan's pages: lists, one item, the battle map (挂图作战), baselines, import/export."""

from django.urls import path  # noqa: F401 - each part of the plan adds its routes below

app_name = "plan"

urlpatterns: list = [
]
