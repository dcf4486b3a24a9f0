"""The dashboard's door: nobody reads a mart before this module has said who they are.

``viewer()`` settles who this session is and puts them in ``st.session_state`` where
``marts.py`` reads them; the app shows ``sign_in_page()`` instead of any page until then.

- No sign-in method configured and listening on loopback: a national viewer, no form.
- No method configured on any other address: nothing is shown (``kpiwatch dashboard``
  already refuses to start that way; this covers a hand-run ``streamlit run``).
- Local users: a sign-in form checked against the users file; the session stays signed in
  across reruns (session state) until sign-out, a reload, or the user's removal.
- Single sign-on: Streamlit's ``st.login``; the identity's email or groups map to a role
  through ``[dashboard.oidc]`` and an unknown identity gets no access.

Every sign-in, sign-out and refusal is one line in ``<home>/logs/dashboard-access.log``
and on stderr.
"""

from __future__ import annotations

import streamlit as st

from core.config import ConfigError
from core.labels import t
from dashboards import marts, oidc, users
from dashboards.access import LOOPBACK_VIEWER, AccessError, Viewer, is_loopback, log_event

_REFUSED = "kpiwatch_refused_identity"


def _client() -> str | None:
    """The browser's address as Streamlit sees it (None on the same machine)."""
    return st.context.ip_address


def _sso_ready() -> bool:
    """True when Streamlit has the ``[auth]`` secrets that ``kpiwatch dashboard`` writes."""
    return bool(st.secrets.load_if_toml_exists() and "auth" in st.secrets)


def _settings(lang: str) -> tuple[oidc.OidcSettings | None, bool]:
    home = marts.home()
    try:
        return oidc.settings(home), users.exists(home)
    except (ConfigError, AccessError) as exc:
        st.error(t(lang, "door_config_error", error=str(exc)), icon=":material/lock:")
        st.stop()
        raise  # unreachable: st.stop() ends the run


def _admit(found: Viewer) -> Viewer:
    st.session_state[marts.VIEWER] = found
    return found


def viewer(lang: str) -> Viewer | None:
    """Who this session is, or None while nobody is signed in.

    Settled again at every rerun from the users file or the identity cookie, so a removed
    user, a changed role or a changed mapping applies at the next click.
    """
    home = marts.home()
    sso, local = _settings(lang)
    found = st.session_state.pop(marts.VIEWER, None)
    if sso is None and not local:
        return _admit(LOOPBACK_VIEWER) if is_loopback(st.get_option("server.address")) else None
    if isinstance(found, Viewer) and found.method == "local" and local:
        now = users.current(home, found.name)
        if now is None:
            log_event(home, found.name, "local", "session-ended-user-removed", _client())
            return None
        return _admit(now)
    if sso is not None and _sso_ready() and st.user.is_logged_in:
        claims = st.user.to_dict()
        mapped = sso.viewer(claims)
        if mapped is not None:
            if found != mapped:  # a new session, or a new role: one line each
                log_event(home, mapped.name, "oidc", f"signed-in role={mapped.role}", _client())
            return _admit(mapped)
        identity = str(claims.get("email") or claims.get("sub") or "?")
        if st.session_state.get(_REFUSED) != identity:
            st.session_state[_REFUSED] = identity
            log_event(home, identity, "oidc", "refused-unknown-identity", _client())
    return None


def sign_in_page(lang: str) -> None:
    """What an unsigned session sees: the sign-in, and nothing from the warehouse."""
    home = marts.home()
    sso, local = _settings(lang)
    if sso is None and not local:
        st.error(t(lang, "door_closed"), icon=":material/lock:")
        return
    st.subheader(t(lang, "sign_in_title"))
    st.caption(t(lang, "sign_in_caption"))
    if sso is not None and st.user.is_logged_in:  # signed in at the provider, not mapped
        identity = str(st.user.get("email") or st.user.get("sub") or "?")
        st.error(t(lang, "no_access", name=identity), icon=":material/block:")
        if st.button(t(lang, "sign_out"), key="sign_out_unknown"):
            log_event(home, identity, "oidc", "signed-out", _client())
            st.logout()
            st.stop()  # st.logout only asks the browser to leave; this run ends here
        return
    left, _ = st.columns([2, 3])
    with left:
        if sso is not None:
            if not _sso_ready():
                st.error(
                    t(lang, "door_config_error", error="no [auth] secrets: start the "
                      "dashboard with `kpiwatch dashboard`"),
                    icon=":material/lock:",
                )  # fmt: skip
            elif st.button(t(lang, "sign_in_sso"), key="sign_in_sso", type="primary"):
                st.login(oidc.PROVIDER)
                st.stop()
        if local:
            _local_form(lang)


def _local_form(lang: str) -> None:
    home = marts.home()
    with st.form("sign_in", clear_on_submit=True):
        name = st.text_input(t(lang, "user_name"), key="sign_in_name")
        password = st.text_input(t(lang, "password"), type="password", key="sign_in_password")
        submitted = st.form_submit_button(t(lang, "sign_in"), type="primary")
    if not submitted:
        return
    name = name.strip()
    found = users.verify(home, name, password)
    if found is None:
        log_event(home, name, "local", "refused-wrong-credentials", _client())
        st.error(t(lang, "sign_in_refused"), icon=":material/block:")
        return
    log_event(home, name, "local", f"signed-in role={found.role}", _client())
    _admit(found)
    st.rerun()


def sign_out_control(lang: str, signed_in: Viewer) -> None:
    """Who is signed in, and the button that signs them out (none for loopback use)."""
    if signed_in.method == "loopback":
        return
    role = t(lang, f"role_{signed_in.role}")
    label = t(lang, "signed_in_as", name=signed_in.name, role=role)
    if signed_in.provinces:
        label += " · " + ", ".join(signed_in.provinces)
    st.caption(label)
    if st.button(t(lang, "sign_out"), key="sign_out", icon=":material/logout:", type="tertiary"):
        log_event(marts.home(), signed_in.name, signed_in.method, "signed-out", _client())
        st.session_state.pop(marts.VIEWER, None)
        if signed_in.method == "oidc":
            st.logout()
            st.stop()  # st.logout only asks the browser to leave: read nothing more
        st.rerun()
