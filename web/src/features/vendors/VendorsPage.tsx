import { PageTitle } from '../../components/PageTitle';

// Placeholder until this screen is built.
export function VendorsPage() {
  return <PageTitle title="Vendors" />;
}
