from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic.base import RedirectView

from duban.api import api
from duban.core import views as core_views
from duban.dashboard import views as dashboard_views
from duban.orgs.forms import AdminLoginForm, LoginForm

admin.site.login_form = AdminLoginForm

urlpatterns = [
    path("", dashboard_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("favicon.ico", RedirectView.as_view(url=static("duban/favicon.svg"), permanent=True), name="favicon"),
    path("login/", auth_views.LoginView.as_view(authentication_form=LoginForm), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", include("duban.orgs.account_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("units/", include("duban.orgs.urls")),
    path("campaigns/", include("duban.campaigns.urls")),
    path("audit/", include("duban.audit.urls")),
    path("ledger/", include("duban.ledger.urls")),
    path("plan/", include("duban.plan.urls")),
    path("projects/", include("duban.projects.urls")),
    path("rounds/", include("duban.rounds.urls")),
    path("intake/", include("duban.intake.urls")),
    path("triage/", include("duban.triage.urls")),
    path("notify/", include("duban.notify.urls")),
    path("settings/", include("duban.office.urls")),
    # Public, no-account pages for citizens and enterprises (submit, track by code).
    path("s/", include("duban.intake.public_urls")),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]

# Error pages inside the layout, with the reason the service gave (core/errors.py).
handler400 = "duban.core.errors.bad_request"
handler403 = "duban.core.errors.permission_denied"
handler404 = "duban.core.errors.not_found"
handler500 = "duban.core.errors.server_error"
