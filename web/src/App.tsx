import { lazy, Suspense } from 'react';
import { BrowserRouter, Navigate, Outlet, Route, Routes } from 'react-router-dom';
import { AuthProvider } from './auth/AuthContext';
import { PublicOnly, RequireAdmin, RequireAuth } from './auth/guards';
import { Layout } from './components/Layout';
import { Loading } from './components/Status';
import { ContentListPage } from './pages/ContentListPage';
import { ContentDetailPage } from './pages/content/ContentDetailPage';
import { DashboardPage } from './pages/DashboardPage';
import { LinksPage } from './pages/LinksPage';
import { LoginPage } from './pages/LoginPage';
import { NewTaskPage } from './pages/NewTaskPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { ProfilePage } from './pages/ProfilePage';
import { RegisterPage } from './pages/RegisterPage';
import { TaskDetailPage } from './pages/TaskDetailPage';
import { TokensPage } from './pages/TokensPage';

// The admin section (and recharts with it) loads only when an admin opens it.
const UsersPage = lazy(() => import('./pages/admin/UsersPage').then((m) => ({ default: m.UsersPage })));
const ProvidersPage = lazy(() =>
  import('./pages/admin/ProvidersPage').then((m) => ({ default: m.ProvidersPage })),
);
const ProviderDetailPage = lazy(() =>
  import('./pages/admin/ProviderDetailPage').then((m) => ({ default: m.ProviderDetailPage })),
);
const StatsPage = lazy(() => import('./pages/admin/StatsPage').then((m) => ({ default: m.StatsPage })));
const LogsPage = lazy(() => import('./pages/admin/LogsPage').then((m) => ({ default: m.LogsPage })));
const SettingsPage = lazy(() =>
  import('./pages/admin/SettingsPage').then((m) => ({ default: m.SettingsPage })),
);
const HooksPage = lazy(() => import('./pages/admin/HooksPage').then((m) => ({ default: m.HooksPage })));

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
      <Route
        path="/login"
        element={
          <PublicOnly>
            <LoginPage />
          </PublicOnly>
        }
      />
      <Route
        path="/register"
        element={
          <PublicOnly>
            <RegisterPage />
          </PublicOnly>
        }
      />
      <Route
        element={
          <RequireAuth>
            <Layout />
          </RequireAuth>
        }
      >
        <Route index element={<DashboardPage />} />
        <Route path="tasks/new" element={<NewTaskPage />} />
        <Route path="tasks/:id" element={<TaskDetailPage />} />
        <Route path="content" element={<ContentListPage />} />
        <Route path="content/:id" element={<ContentDetailPage />} />
        <Route path="links" element={<LinksPage />} />
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
