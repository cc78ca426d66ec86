export * from './kubeconform';
export * from './policy';
