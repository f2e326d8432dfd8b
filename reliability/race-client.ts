/** One client process of the reveal races (reliability/races.ts): fires what it is sent, all at once. */
process.on('message', async (requests: { url: string; token: string; user: string }[]) => {
  const answers = await Promise.all(
    requests.map(async ({ url, token, user }) => {
      try {
        const response = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
        return { status: response.status, body: await response.text(), user };
      } catch (error) {
        return { status: 0, body: String(error), user };
      }
    }),
  );
  process.send?.(answers);
});
