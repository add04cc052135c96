"""The plan's pages: lists, one item, the battle map (挂图作战), baselines, import/export."""

from django.urls import path

from duban.plan import views_map

app_name = "plan"

urlpatterns: list = [
    # 挂图作战, 倒排工期, 基线 (views_map)
    path("map/", views_map.battle_map, name="map"),
    path("map/data/", views_map.map_data, name="map_data"),
    path("schedule/", views_map.schedule, name="schedule"),
    path("schedule/dependency/add/", views_map.dependency_add, name="dependency_add"),
    path("schedule/dependency/remove/", views_map.dependency_remove, name="dependency_remove"),
    path("baselines/", views_map.baselines, name="baselines"),
    path("baselines/freeze/", views_map.baseline_freeze, name="baseline_freeze"),
]
