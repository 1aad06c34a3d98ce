from django.utils.functional import SimpleLazyObject

from evaluation import page_selectors
from evaluation.reports.access import can_use_reports
from orgchart import access


def notifications(request):
    """The header's evaluation entries: `unread_notifications` for the counter (counted only when a
    template shows it) and which menu links the user may use. The links read the user's scope,
    which `orgchart.context_processors.navigation` has computed already (cached on the user), so
    they cost no query."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = access.user_scope(user)
    return {
        "unread_notifications": SimpleLazyObject(lambda: page_selectors.unread_count(user)),
        # Dashboards count only what the viewer may see; worth a link for those who see others.
        "nav_can_dashboards": scope.is_superuser or bool(scope.view_paths),
        # Ratings: everyone with a person record (their own year) and whoever sees units.
        "nav_can_ratings": scope.is_superuser or bool(scope.person_id) or bool(scope.view_paths),
        "nav_can_reports": can_use_reports(user),
    }
