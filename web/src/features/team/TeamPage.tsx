import { PageTitle } from '../../components/PageTitle';

// Placeholder until this screen is built.
export function TeamPage() {
  return <PageTitle title="Team" />;
}
