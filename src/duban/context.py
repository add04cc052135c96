"""Template context for the page shell: the user's home unit, current campaign and menu."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject


def shell(request) -> dict:
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    from duban.campaigns.queries import current_campaign
    from duban.core.nav import menu
    from duban.notify.queries import unread_count
    from duban.orgs.scoping import home_unit, is_office

    found: list = []

    def campaign():
        # Read once per request, and handed on as itself: a lazy proxy of None is not None.
        if not found:
            found.append(current_campaign(user))
        return found[0]

    match = getattr(request, "resolver_match", None)
    current = match.view_name if match else ""
    return {
        "home_unit": SimpleLazyObject(lambda: home_unit(user)),
        "current_campaign": SimpleLazyObject(campaign),
        "user_is_office": SimpleLazyObject(lambda: is_office(user)),
        "nav": SimpleLazyObject(lambda: menu(user, campaign(), current)),
        # Read only when a page shows it (the header does): one COUNT on an indexed column.
        "unread_count": SimpleLazyObject(lambda: unread_count(user)),
    }
