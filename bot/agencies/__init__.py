"""Agencies (军休所): several on one assistant, each with its staff group, duty phone, region,
cadres and staff. `routing` says where a cadre's matters go; `store` adds, lists and moves
(the commands: bot/cli/agencies.py and `junxiu cadres move`). Who sees what is
bot/scope.py."""

from bot.agencies.routing import (
    Directory,
    Route,
    default_region,
    default_route,
    load,
    loaded_agency,
    route_for,
    route_of,
    staff_chat_for,
)

__all__ = ["Directory", "Route", "default_region", "default_route", "load", "loaded_agency",
           "route_for", "route_of", "staff_chat_for"]
