from orgchart import access


def navigation(request):
    """The signed-in user's roles for today, for the header menu."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = access.user_scope(user)
    return {
        "nav_roles": scope.roles,
        "nav_can_import": access.can_import(user),
        "nav_is_hr": bool(scope.grant_paths(access.HR_OFFICER)) or scope.is_superuser,
    }
