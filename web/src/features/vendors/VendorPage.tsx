import { PageTitle } from '../../components/PageTitle';

// Placeholder until this screen is built.
export function VendorPage() {
  return <PageTitle title="Vendor" />;
}
