import { PageTitle } from '../../components/PageTitle';

// Placeholder until this screen is built.
export function DashboardPage() {
  return <PageTitle title="Dashboard" />;
}
