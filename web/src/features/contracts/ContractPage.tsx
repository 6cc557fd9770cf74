import { PageTitle } from '../../components/PageTitle';

// Placeholder until this screen is built.
export function ContractPage() {
  return <PageTitle title="Contract" />;
}
