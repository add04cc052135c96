"""The plan's pages: lists, one item, the battle map (挂图作战), baselines, import/export."""

from django.urls import path

from duban.plan import views, views_io, views_map

app_name = "plan"

urlpatterns: list = [
    path("import/", views_io.plan_import, name="import"),
    path("import/<str:token>/apply/", views_io.plan_import_apply, name="import_apply"),
    path("import/<str:token>/errors.xlsx", views_io.plan_import_errors, name="import_errors"),
    path("export.xlsx", views_io.plan_export, name="export"),
    path("", views.item_list, name="item_list"),
    path("mine/", views.mine, name="mine"),
    path("leader/", views.leader, name="leader"),
    path("warnings/", views.warnings, name="warnings"),
    path("lights/", views.light_rule, name="light_rule"),
    path("new/", views.item_new, name="item_new"),
    path("<int:pk>/", views.item_detail, name="item"),
    path("<int:pk>/edit/", views.item_edit, name="item_edit"),
    path("<int:pk>/transition/<str:name>/", views.item_transition, name="item_transition"),
    path("<int:pk>/report/", views.item_report, name="item_report"),
    path("<int:pk>/instruction/", views.item_instruction, name="item_instruction"),
    path("milestone/<int:pk>/done/", views.milestone_done, name="milestone_done"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence_download"),
    # 挂图作战, 倒排工期, 基线 (views_map)
    path("map/", views_map.battle_map, name="map"),
    path("map/data/", views_map.map_data, name="map_data"),
    path("schedule/", views_map.schedule, name="schedule"),
    path("schedule/dependency/add/", views_map.dependency_add, name="dependency_add"),
    path("schedule/dependency/remove/", views_map.dependency_remove, name="dependency_remove"),
    path("baselines/", views_map.baselines, name="baselines"),
    path("baselines/freeze/", views_map.baseline_freeze, name="baseline_freeze"),
]
