"""The JSON API v1 (django-ninja): session or `Authorization: Bearer <token>` authentication."""

from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.security import APIKeyCookie, HttpBearer

from evaluation.api import router as evaluation_router
from orgchart import services
from orgchart.api import router as orgchart_router


class BearerAuth(HttpBearer):
    def authenticate(self, request, token):
        user = services.api_token_user(token)
        if user is not None:
            request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """Django's session cookie; unsafe methods also need the CSRF token (as in the HTML pages)."""

    param_name = "sessionid"

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        return user if user is not None and user.is_authenticated else None


api = NinjaAPI(
    title="DanhGia API",
    version="1",
    description=_("Monthly evaluation of civil servants — JSON API v1."),
    auth=[BearerAuth(), SessionAuth()],
    urls_namespace="api-v1",
)
api.add_router("", orgchart_router)
api.add_router("", evaluation_router)
