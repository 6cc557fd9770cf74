import { PageTitle } from '../../components/PageTitle';

// Placeholder until this screen is built.
export function AcceptInvitationPage() {
  return <PageTitle title="Accept invitation" />;
}
