// esbuild's `text` loader turns an imported stylesheet into its text.
declare module '*.css' {
  const text: string;
  export default text;
}
