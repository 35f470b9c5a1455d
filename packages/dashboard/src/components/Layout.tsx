import { useState } from "react";
import { NavLink, Outlet, useLocation } from "react-router-dom";
import { getSession, setSession } from "../api.js";
import { navigation } from "../routes.js";

/** Side navigation (a top bar with a menu button on phones) around the current page. */
export function Layout() {
  const [open, setOpen] = useState(false);
  const location = useLocation();
  const groups = navigation();
  const session = getSession();

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand" aria-hidden="true">
          <span className="brand-mark" /> Mainspring
        </span>
        <button
          type="button"
          className="menu-button"
          aria-expanded={open}
          aria-controls="side-nav"
          onClick={() => setOpen((o) => !o)}
        >
          Menu
        </button>
      </header>
      <nav id="side-nav" className={`sidenav${open ? " open" : ""}`} aria-label="Main">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" /> Mainspring
        </div>
        {groups.map(({ group, links }) => (
          <div key={group} className="nav-group">
            <h2 className="nav-heading">{group}</h2>
            <ul>
              {links.map((link) => (
                <li key={link.to}>
                  <NavLink to={link.to} end={link.to === "/"} onClick={() => setOpen(false)}>
                    {link.label}
                  </NavLink>
                </li>
              ))}
            </ul>
          </div>
        ))}
        <div className="nav-footer">
          <span className="muted small">
            Signed in with {session?.via === "password" ? "password" : "secret key"}
          </span>
          <button type="button" className="button ghost small" onClick={() => setSession(undefined)}>
            Log out
          </button>
        </div>
      </nav>
      <main id="main" className="content" tabIndex={-1} key={location.pathname}>
        <Outlet />
      </main>
    </div>
  );
}
