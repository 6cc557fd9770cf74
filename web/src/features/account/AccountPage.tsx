import { PageTitle } from '../../components/PageTitle';

// Placeholder until this screen is built.
export function AccountPage() {
  return <PageTitle title="Account" />;
}
