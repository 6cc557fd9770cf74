import { PageTitle } from '../../components/PageTitle';

// Placeholder until this screen is built.
export function PasswordResetRequestPage() {
  return <PageTitle title="Reset password" />;
}
