"""The plan's pages: lists, one item, the battle map (挂图作战), baselines, import/export."""

from django.urls import path

from duban.plan import views_io

app_name = "plan"

urlpatterns: list = [
    path("import/", views_io.plan_import, name="import"),
    path("import/<str:token>/apply/", views_io.plan_import_apply, name="import_apply"),
    path("import/<str:token>/errors.xlsx", views_io.plan_import_errors, name="import_errors"),
    path("export.xlsx", views_io.plan_export, name="export"),
]
