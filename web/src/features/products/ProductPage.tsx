import { PageTitle } from '../../components/PageTitle';

// Placeholder until this screen is built.
export function ProductPage() {
  return <PageTitle title="Product" />;
}
