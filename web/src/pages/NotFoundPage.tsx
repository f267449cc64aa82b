import { Link } from 'react-router-dom';
import { usePageTitle } from '../lib/hooks';

export function NotFoundPage() {
  usePageTitle('Not found');
  return (
    <section className="stack">
      <h1>Page not found</h1>
      <p>There is nothing at this address.</p>
      <p>
        <Link to="/">Go to the dashboard</Link>
      </p>
    </section>
  );
}
