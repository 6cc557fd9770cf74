import { createServer, type AddressInfo, type Socket } from 'node:net';

/**
 * A stand-in SMTP server on a loopback port that speaks just enough of RFC 5321 for a real client
 * (nodemailer) to deliver: greeting, EHLO/HELO, MAIL FROM, RCPT TO, DATA with dot-unstuffing, RSET, NOOP,
 * QUIT. No STARTTLS and no AUTH are advertised, so a plain smtp:// URL stays in clear text on loopback.
 */
export interface FakeSmtpMessage {
  from: string;
  to: string[];
  /** The raw message as received after DATA (headers, blank line, body), CRLF line ends, dots unstuffed. */
  data: string;
}

export interface FakeSmtp {
  /** smtp://127.0.0.1:PORT, for PACTUM_SMTP_URL. */
  url: string;
  messages: FakeSmtpMessage[];
  /** Every command line received, for assertions on the dialogue. */
  commands: string[];
  /** Answer the next MAIL FROM with this code (e.g. 451) instead of 250. */
  failNextMail(code: number): void;
  /**
   * Keep the next message but close the connection instead of answering its final dot: the client cannot
   * know whether the message was taken (it was).
   */
  dropAfterNextMessage(): void;
  close(): Promise<void>;
}

const MAX_MESSAGE_BYTES = 1024 * 1024;

export async function startFakeSmtp(): Promise<FakeSmtp> {
  const messages: FakeSmtpMessage[] = [];
  const commands: string[] = [];
  const failures: number[] = [];
  let dropAfterMessage = false;
  const sockets = new Set<Socket>();

  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffer = '';
    let envelope: { from: string; to: string[] } | null = null;
    let dataLines: string[] | null = null;
    let dataBytes = 0;
    const reply = (line: string) => socket.write(`${line}\r\n`);

    const handle = (line: string) => {
      if (dataLines) {
        if (line === '.') {
          messages.push({ from: envelope?.from ?? '', to: envelope?.to ?? [], data: dataLines.join('\r\n') });
          dataLines = null;
          envelope = null;
          if (dropAfterMessage) {
            dropAfterMessage = false;
            socket.destroy();
            return;
          }
          reply('250 2.0.0 OK: queued');
          return;
        }
        dataBytes += line.length + 2;
        if (dataBytes > MAX_MESSAGE_BYTES) {
          reply('552 5.3.4 Message too big');
          socket.end();
          return;
        }
        dataLines.push(line.startsWith('..') ? line.slice(1) : line);
        return;
      }
      commands.push(line);
      const verb = line.split(' ', 1)[0]!.toUpperCase();
      switch (verb) {
        case 'EHLO':
          reply('250-fake-smtp greets you');
          reply('250-8BITMIME');
          reply('250 SMTPUTF8');
          return;
        case 'HELO':
          reply('250 fake-smtp');
          return;
        case 'MAIL': {
          const failure = failures.shift();
          if (failure !== undefined) {
            reply(`${failure} 4.3.0 Injected failure`);
            return;
          }
          envelope = { from: addressIn(line), to: [] };
          reply('250 2.1.0 OK');
          return;
        }
        case 'RCPT':
          if (!envelope) return void reply('503 5.5.1 MAIL first');
          envelope.to.push(addressIn(line));
          reply('250 2.1.5 OK');
          return;
        case 'DATA':
          if (!envelope || envelope.to.length === 0) return void reply('503 5.5.1 RCPT first');
          dataLines = [];
          dataBytes = 0;
          reply('354 End data with <CR><LF>.<CR><LF>');
          return;
        case 'RSET':
          envelope = null;
          reply('250 2.0.0 OK');
          return;
        case 'NOOP':
          reply('250 2.0.0 OK');
          return;
        case 'QUIT':
          reply('221 2.0.0 Bye');
          socket.end();
          return;
        default:
          reply('502 5.5.2 Command not implemented');
      }
    };

    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let end = buffer.indexOf('\r\n');
      while (end !== -1) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        handle(line);
        end = buffer.indexOf('\r\n');
      }
    });
    reply('220 fake-smtp ESMTP ready');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    commands,
    failNextMail: (code) => void failures.push(code),
    dropAfterNextMessage: () => {
      dropAfterMessage = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The address in `MAIL FROM:<a@b> SIZE=…` or `RCPT TO:<a@b>`. */
function addressIn(line: string): string {
  return /<([^>]*)>/.exec(line)?.[1] ?? '';
}
