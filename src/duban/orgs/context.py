"""Template context: the user's home unit and current campaign, for the page shell."""

from django.utils.functional import SimpleLazyObject


def current_org(request):
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    from duban.campaigns.queries import current_campaign
    from duban.orgs.scoping import home_unit, is_office

    return {
        "home_unit": SimpleLazyObject(lambda: home_unit(user)),
        "current_campaign": SimpleLazyObject(lambda: current_campaign(user)),
        "user_is_office": SimpleLazyObject(lambda: is_office(user)),
    }
