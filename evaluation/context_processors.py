from django.utils.functional import SimpleLazyObject

from evaluation import page_selectors


def notifications(request):
    """`unread_notifications` for the header's counter (counted only when a template shows it)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: page_selectors.unread_count(user))}
