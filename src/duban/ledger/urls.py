from django.urls import path

from duban.ledger import views

app_name = "ledger"
urlpatterns = [
    path("", views.problem_list, name="problem_list"),
    path("export.xlsx", views.problem_export, name="problem_export"),
    path("new/", views.problem_create, name="problem_create"),
    path("mine/", views.my_items, name="my_items"),
    path("summary/", views.summary, name="summary"),
    path("bulk/", views.problem_bulk, name="problem_bulk"),
    path("import/", views.problem_import, name="problem_import"),
    path("import/<str:token>/apply/", views.problem_import_apply, name="problem_import_apply"),
    path("import/<str:token>/errors.xlsx", views.problem_import_errors, name="problem_import_errors"),
    path("<int:pk>/", views.problem_detail, name="problem_detail"),
    path("<int:pk>/edit/", views.problem_edit, name="problem_edit"),
    path("<int:pk>/transition/<str:name>/", views.problem_transition, name="problem_transition"),
    path("<int:pk>/note/", views.problem_note, name="problem_note"),
    path("<int:pk>/evidence/", views.evidence_upload, name="evidence_upload"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence_download"),
]
