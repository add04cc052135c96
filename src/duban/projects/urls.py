"""The project library's pages: lists, the board, one project and its forms, the office's settings,
import and export."""

from django.urls import path

from duban.projects import views, views_io, views_project

app_name = "projects"

urlpatterns: list = [
    path("import/", views_io.project_import, name="import"),
    path("import/<str:token>/apply/", views_io.project_import_apply, name="import_apply"),
    path("import/<str:token>/errors.xlsx", views_io.project_import_errors, name="import_errors"),
    path("export.xlsx", views_io.project_export, name="export"),
    path("", views.project_list, name="list"),
    path("warnings/", views.warnings, name="warnings"),
    path("board/", views.board, name="board"),
    path("mine/", views.mine, name="mine"),
    path("figures/", views.figures, name="figures"),
    path("lights/", views.light_rule, name="light_rule"),
    path("pools/", views.pools, name="pools"),
    path("new/", views_project.project_new, name="project_new"),
    path("<int:pk>/", views_project.project_detail, name="project"),
    path("<int:pk>/edit/", views_project.project_edit, name="project_edit"),
    path("<int:pk>/delete/", views_project.project_delete, name="project_delete"),
    path("<int:pk>/transition/<str:name>/", views_project.project_transition, name="project_transition"),
    path("<int:pk>/move/", views_project.project_move, name="project_move"),
    path("<int:pk>/record/", views_project.record, name="record"),
    path("<int:pk>/blocker/", views_project.blocker_add, name="blocker_add"),
    path("<int:pk>/nodes/", views_project.nodes, name="nodes"),
    path("<int:pk>/files/", views_project.file_upload, name="file_upload"),
    path("node/<int:pk>/done/", views_project.node_done, name="node_done"),
    path("file/<int:pk>/", views_project.file_download, name="file_download"),
]
