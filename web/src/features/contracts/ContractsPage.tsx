import { PageTitle } from '../../components/PageTitle';

// Placeholder until this screen is built.
export function ContractsPage() {
  return <PageTitle title="Contracts" />;
}
