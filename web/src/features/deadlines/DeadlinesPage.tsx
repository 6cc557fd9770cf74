import { PageTitle } from '../../components/PageTitle';

// Placeholder until this screen is built.
export function DeadlinesPage() {
  return <PageTitle title="Deadlines" />;
}
