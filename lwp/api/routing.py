"""API routes in both trailing-slash forms (never a redirect), each described once in the schema."""

from django.urls import path

# Where the API lives: what the middleware and the lock-out page answer in JSON.
API_PREFIX = "/api/"


class RouteVariant:
    # Marks the twin route (the other trailing-slash form) so the schema lists each route once.

    alternate_route = False


def both_slashes(route, view_class, name, actions=None, **initkwargs):
    """`route` as documented plus its twin with the trailing slash toggled; never a redirect."""
    twin = route[:-1] if route.endswith("/") else route + "/"

    def view(alternate):
        kwargs = dict(initkwargs, alternate_route=alternate)
        return view_class.as_view(actions, **kwargs) if actions else view_class.as_view(**kwargs)

    return [path(route, view(False), name=name), path(twin, view(True), name=f"{name}-twin")]


def drop_twin_routes(endpoints, **kwargs):
    """drf-spectacular preprocessing hook: describe each route in its documented form only."""
    return [endpoint for endpoint in endpoints
            if not getattr(endpoint[3], "initkwargs", {}).get("alternate_route")]
