import { type ComponentType, lazy, Suspense } from 'react';
import { BrowserRouter, Navigate, Outlet, Route, Routes } from 'react-router-dom';
import { AuthProvider } from './auth/AuthContext';
import { PublicOnly, RequireAdmin, RequireAuth } from './auth/guards';
import { Layout } from './components/Layout';
import { Loading } from './components/Status';

/** A page loaded on first visit: every route is its own chunk, so the entry holds only the shell. */
function page<K extends string>(load: () => Promise<Record<K, ComponentType>>, name: K) {
  return lazy(() => load().then((m) => ({ default: m[name] })));
}

const LoginPage = page(() => import('./pages/LoginPage'), 'LoginPage');
const RegisterPage = page(() => import('./pages/RegisterPage'), 'RegisterPage');
const SsoCallbackPage = page(() => import('./pages/SsoCallbackPage'), 'SsoCallbackPage');
const DashboardPage = page(() => import('./pages/DashboardPage'), 'DashboardPage');
const NewTaskPage = page(() => import('./pages/NewTaskPage'), 'NewTaskPage');
const TaskDetailPage = page(() => import('./pages/TaskDetailPage'), 'TaskDetailPage');
const ContentListPage = page(() => import('./pages/ContentListPage'), 'ContentListPage');
const ContentDetailPage = page(() => import('./pages/content/ContentDetailPage'), 'ContentDetailPage');
const LinksPage = page(() => import('./pages/LinksPage'), 'LinksPage');
const TokensPage = page(() => import('./pages/TokensPage'), 'TokensPage');
const ProfilePage = page(() => import('./pages/ProfilePage'), 'ProfilePage');
const TeamsPage = page(() => import('./pages/TeamsPage'), 'TeamsPage');
const ReportsPage = page(() => import('./pages/ReportsPage'), 'ReportsPage');
const SpendPage = page(() => import('./pages/SpendPage'), 'SpendPage');
const InviteAcceptPage = page(() => import('./pages/InviteAcceptPage'), 'InviteAcceptPage');
const NotFoundPage = page(() => import('./pages/NotFoundPage'), 'NotFoundPage');
// The admin section (and recharts with it) loads only when an admin opens it.
const UsersPage = page(() => import('./pages/admin/UsersPage'), 'UsersPage');
const ProvidersPage = page(() => import('./pages/admin/ProvidersPage'), 'ProvidersPage');
const ProviderDetailPage = page(() => import('./pages/admin/ProviderDetailPage'), 'ProviderDetailPage');
const StatsPage = page(() => import('./pages/admin/StatsPage'), 'StatsPage');
const LogsPage = page(() => import('./pages/admin/LogsPage'), 'LogsPage');
const SettingsPage = page(() => import('./pages/admin/SettingsPage'), 'SettingsPage');
const HooksPage = page(() => import('./pages/admin/HooksPage'), 'HooksPage');

/** The routes below it, with a spinner while a page's chunk loads (the layout around it stays). */
function PageOutlet() {
  return (
    <Suspense fallback={<Loading />}>
      <Outlet />
    </Suspense>
  );
}

function AdminSection() {
  return (
    <RequireAdmin>
      <Suspense fallback={<Loading label="Loading the admin section…" />}>
        <Outlet />
      </Suspense>
    </RequireAdmin>
  );
}

export function AppRoutes() {
  return (
    <Routes>
      <Route element={<PageOutlet />}>
        <Route
          path="/login"
          element={
            <PublicOnly>
              <LoginPage />
            </PublicOnly>
          }
        />
        <Route path="/login/sso" element={<SsoCallbackPage />} />
        <Route
          path="/register"
          element={
            <PublicOnly>
              <RegisterPage />
            </PublicOnly>
          }
        />
      </Route>
      <Route
        element={
          <RequireAuth>
            <Layout />
          </RequireAuth>
        }
      >
        <Route element={<PageOutlet />}>
          <Route index element={<DashboardPage />} />
          <Route path="tasks/new" element={<NewTaskPage />} />
          <Route path="tasks/:id" element={<TaskDetailPage />} />
          <Route path="content" element={<ContentListPage />} />
          <Route path="content/:id" element={<ContentDetailPage />} />
          <Route path="links" element={<LinksPage />} />
          <Route path="teams" element={<TeamsPage />} />
          <Route path="reports" element={<ReportsPage />} />
          <Route path="spend" element={<SpendPage />} />
          <Route path="invites/:token" element={<InviteAcceptPage />} />
          <Route path="tokens" element={<TokensPage />} />
          <Route path="profile" element={<ProfilePage />} />
          <Route path="admin" element={<AdminSection />}>
            <Route index element={<Navigate to="/admin/stats" replace />} />
            <Route path="users" element={<UsersPage />} />
            <Route path="providers" element={<ProvidersPage />} />
            <Route path="providers/:id" element={<ProviderDetailPage />} />
            <Route path="stats" element={<StatsPage />} />
            <Route path="logs" element={<LogsPage />} />
            <Route path="settings" element={<SettingsPage />} />
            <Route path="hooks" element={<HooksPage />} />
          </Route>
          <Route path="*" element={<NotFoundPage />} />
        </Route>
      </Route>
    </Routes>
  );
}

export function App() {
  return (
    <AuthProvider>
      <BrowserRouter>
        <AppRoutes />
      </BrowserRouter>
    </AuthProvider>
  );
}
