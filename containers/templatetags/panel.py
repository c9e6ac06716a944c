"""Small formatting filters for the panel's templates."""

from urllib.parse import quote

from django import template
from django.middleware.csrf import get_token
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.timezone import localtime

from containers.figures import humanize_bytes
from containers.vocabulary import allowed_actions

register = template.Library()

# State -> badge colour class (see static/lwp.css).
BADGES = {"RUNNING": "ok", "STOPPED": "off", "FROZEN": "info", "BROKEN": "bad"}


@register.filter
def size(value):
    """Bytes as lxc-info prints them ('7.66 MiB'); a dash when unknown."""
    return humanize_bytes(value) if value is not None else "—"


@register.filter
def badge(state):
    return BADGES.get(state, "busy")


@register.filter
def duration(seconds):
    """Uptime in the largest two units: '3d 4h', '2h 5m', '40s'."""
    seconds = int(seconds or 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")]
    shown = [f"{n}{unit}" for n, unit in parts if n][:2]
    return " ".join(shown) or "0s"


@register.filter
def percent(used, total):
    return round(100 * used / total) if total else 0


@register.filter
def checkbadge(status):
    """Host check status -> badge colour class."""
    return {"ok": "ok", "warning": "busy", "missing": "bad"}.get(status, "off")


# ----- the dashboard's rows --------------------------------------------------------------
# Rendered in Python, not with template tags: with 500 containers the template loop
# cost more than the liblxc listing itself. The markup is the same the template made.

# How each power action's button looks; which ones a state offers is vocabulary.allowed_actions.
_BUTTON_LOOKS = {"start": ("btn-go", "Start"), "stop": ("btn-halt", "Stop"), "restart": ("", "Restart"),
                 "freeze": ("", "Freeze"), "unfreeze": ("btn-go", "Unfreeze")}


def _buttons(state, name):
    """The action buttons for a container in `state`; `name` comes escaped."""
    buttons = []
    for verb in allowed_actions(state):
        css, label = _BUTTON_LOOKS[verb]
        buttons.append(f'<button type="submit" name="action" value="{verb}" '
                       f'class="btn btn-sm{" " + css if css else ""}" title="{label} {name}">{label}</button>')
    return "\n        ".join(buttons)


@register.simple_tag
def action_buttons(state, name):
    """The container page's action buttons: the same as its dashboard row's."""
    return mark_safe(_buttons(state, escape(name)))  # noqa: S308 - the name is escaped


def _name_cell(row, name, url):
    extra = ""
    description = row.metadata.description if row.metadata is not None else ""
    if description:
        extra += f' <span class="sub">{escape(Truncator(description).chars(60))}</span>'
    if row.error:
        extra += f' <span class="sub error">{escape(row.error)}</span>'
    return f'<td class="name" data-label="Name"><a href="{url}/">{name}</a>{extra}</td>'


def _row_html(row, *, base, can_change, csrf_token, here):
    name = escape(row.name)
    state = row.state
    url = escape(quote(base + row.name, safe="/"))
    summary = row.summary
    creator = row.metadata.created_by if row.metadata is not None else None
    cells = [f'<tr data-name="{name}" data-state="{escape(state)}">']
    if can_change:
        cells.append(f'<td class="sel" data-label="Select"><input type="checkbox" name="names" value="{name}" '
                     f'form="bulk-form" class="row-select" aria-label="Select {name}"></td>')
    cells += [
        _name_cell(row, name, url),
        f'<td data-label="State"><span class="badge badge-{badge(state)}">{escape(state.lower())}</span></td>',
        f'<td data-label="IPv4" class="mono">{escape(", ".join(summary.ipv4) if summary and summary.ipv4 else "—")}</td>',
        f'<td data-label="Memory" class="num">{size(summary.memory_bytes if summary else None)}</td>',
        f'<td data-label="Autostart">{"yes" if summary and summary.autostart else "—"}</td>',
        f'<td data-label="Created by">{escape(creator.get_username()) if creator else "—"}</td>',
    ]
    if can_change:
        cells.append(
            f'<td class="actions">\n      <form method="post" action="{url}/action/" class="actions-form" '
            f'hx-post="{url}/action/" hx-target="#container-table" hx-swap="outerHTML" '
            f'hx-disabled-elt="find button">\n        <input type="hidden" name="csrfmiddlewaretoken" '
            f'value="{csrf_token}"><input type="hidden" name="next" value="{here}">\n        '
            f'{_buttons(state, name)}\n      </form></td>')
    cells.append("</tr>")
    return "\n  ".join(cells)


@register.simple_tag(takes_context=True)
def container_rows(context, rows):
    """The <tr> of every listed container, with the buttons the user may use."""
    options = {
        "base": context["container_base"],
        "can_change": bool(context["perms"]["containers"]["change_container"]),
        "csrf_token": escape(get_token(context["request"])),
        "here": escape(context["here"]),
    }
    return mark_safe("\n  ".join(_row_html(row, **options) for row in rows))  # noqa: S308 - every value escaped


@register.filter
def log_html(entries):
    """An operation's log lines, (time, line) pairs, as the log box shows them. In Python for the
    same reason as the rows: a template loop cost a third of a millisecond a line, every second."""
    return mark_safe("".join(  # noqa: S308 - every line escaped
        f'<span class="logtime">{localtime(time):%H:%M:%S}</span> {escape(line)}\n' for time, line in entries))
