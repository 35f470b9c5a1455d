import { MainspringProvider } from "@mainspring/react";
import { StrictMode, useSyncExternalStore } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter, Navigate, Route, Routes, useLocation } from "react-router-dom";
import { getSession, onSessionChange } from "./api.js";
import { Layout } from "./components/Layout.js";
import { LoginPage } from "./pages/Login.js";
import { pages } from "./routes.js";
import "./styles.css";

function useSession() {
  return useSyncExternalStore(onSessionChange, getSession);
}

/** Everything but the login page needs a session; without one, go log in and come back. */
function RequireSession() {
  const session = useSession();
  const location = useLocation();
  if (!session) {
    const next = location.pathname + location.search;
    return <Navigate to={`/login${next === "/" ? "" : `?next=${encodeURIComponent(next)}`}`} replace />;
  }
  return (
    <MainspringProvider accessToken={session.token} baseURL={window.location.origin}>
      <Layout />
    </MainspringProvider>
  );
}

function NotFound() {
  return (
    <div className="card">
      <h1>Not found</h1>
      <p>No dashboard page at this address.</p>
    </div>
  );
}

function App() {
  return (
    <BrowserRouter>
      <Routes>
        <Route path="/login" element={<LoginPage />} />
        <Route element={<RequireSession />}>
          {pages.map(({ path, component: Page }) =>
            path === "" ? (
              <Route key="index" index element={<Page />} />
            ) : (
              <Route key={path} path={path} element={<Page />} />
            ),
          )}
          <Route path="*" element={<NotFound />} />
        </Route>
      </Routes>
    </BrowserRouter>
  );
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
