"""The project pages. The import/export routes (views_io); the views helper adds the list,
the board and one project's page."""

from django.urls import path

from duban.projects import views_io

app_name = "projects"

urlpatterns: list = [
    path("import/", views_io.project_import, name="import"),
    path("import/<str:token>/apply/", views_io.project_import_apply, name="import_apply"),
    path("import/<str:token>/errors.xlsx", views_io.project_import_errors, name="import_errors"),
    path("export.xlsx", views_io.project_export, name="export"),
]
