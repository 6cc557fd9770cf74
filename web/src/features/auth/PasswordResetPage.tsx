import { PageTitle } from '../../components/PageTitle';

// Placeholder until this screen is built.
export function PasswordResetPage() {
  return <PageTitle title="New password" />;
}
