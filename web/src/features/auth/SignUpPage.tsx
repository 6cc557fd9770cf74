import { PageTitle } from '../../components/PageTitle';

// Placeholder until this screen is built.
export function SignUpPage() {
  return <PageTitle title="Sign up" />;
}
